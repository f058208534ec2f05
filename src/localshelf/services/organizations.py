"""Organizations: retailers (own stores and offers) and brands (own products)."""

from __future__ import annotations

from localshelf.domain.auth import Role
from localshelf.domain.errors import Forbidden
from localshelf.domain.ids import new_public_id
from localshelf.services.access import readable
from localshelf.services.views import OrganizationKind, OrganizationView
from localshelf.store import queries
from localshelf.store.db import UnitOfWork
from localshelf.store.models import Membership, Organization


def _view(uow: UnitOfWork, organization: Organization) -> OrganizationView:
    total, published = queries.location_counts(uow.session, organization.id)
    return OrganizationView(
        id=organization.public_id,
        name=organization.name,
        kind=organization.kind,
        website=organization.website,
        location_count=total,
        published_location_count=published,
        created_at=organization.created_at,
    )


def create_organization(uow: UnitOfWork, name: str, kind: OrganizationKind, website: str | None) -> OrganizationView:
    """A signed-in user who creates an organization becomes its owner."""
    if uow.actor.kind == "api_key":
        raise Forbidden("An API key belongs to one organization and cannot create others; sign in as a user.")
    organization = Organization(public_id=new_public_id("organization"), name=name, kind=kind, website=website)
    uow.session.add(organization)
    uow.session.flush()
    if uow.actor.user_id is not None:
        uow.session.add(Membership(user_id=uow.actor.user_id, organization_id=organization.id, role=Role.OWNER.value))
        uow.session.flush()
    return _view(uow, organization)


def get_organization(uow: UnitOfWork, organization_id: str) -> OrganizationView:
    return _view(uow, readable(uow, Organization, organization_id))
