"""Organizations: retailers (own stores and offers) and brands (own products)."""

from __future__ import annotations

from localshelf.domain.ids import new_public_id
from localshelf.services.lookup import by_public_id
from localshelf.services.views import OrganizationKind, OrganizationView
from localshelf.store import queries
from localshelf.store.db import UnitOfWork
from localshelf.store.models import Organization


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
    organization = Organization(public_id=new_public_id("organization"), name=name, kind=kind, website=website)
    uow.session.add(organization)
    uow.session.flush()
    return _view(uow, organization)


def get_organization(uow: UnitOfWork, organization_id: str) -> OrganizationView:
    return _view(uow, by_public_id(uow.session, Organization, organization_id))
