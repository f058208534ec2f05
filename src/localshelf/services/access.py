"""Tenant isolation: the one place that decides whether the actor may see or change an organization.

Outsiders get `not_found` — exactly what an id that does not exist gets — so an id of
another tenant's object leaks nothing. Members without a writing role get `forbidden`.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm.interfaces import LoaderOption

from localshelf.domain.auth import WRITE_ROLES, Role
from localshelf.domain.errors import Forbidden, NotFound
from localshelf.services.lookup import KIND, by_public_id
from localshelf.store.db import UnitOfWork
from localshelf.store.models import (
    ApiKey,
    InStoreOffer,
    Integration,
    Location,
    Organization,
    SyncJob,
    WebhookEndpoint,
)

Owned = TypeVar("Owned", Organization, Location, InStoreOffer)


def _organization_pk(entity: Organization | Location | InStoreOffer) -> int:
    return entity.id if isinstance(entity, Organization) else entity.organization_id


def check(uow: UnitOfWork, organization_pk: int, kind: str, public_id: str, need: Role) -> None:
    role = uow.actor.role_in(organization_pk)
    if role is None:
        raise NotFound.of(kind, public_id)
    if need in WRITE_ROLES and role not in WRITE_ROLES:
        raise Forbidden(
            f"Your role ({role.value}) may read this organization but not change it; ask an owner or manager."
        )
    if need is Role.OWNER and role is not Role.OWNER:
        raise Forbidden("Only an owner of this organization may do this.")


def readable(uow: UnitOfWork, model: type[Owned], public_id: str, *options: LoaderOption) -> Owned:
    entity = by_public_id(uow.session, model, public_id, *options)
    check(uow, _organization_pk(entity), KIND[model], public_id, Role.STAFF)
    return entity


def writable(uow: UnitOfWork, model: type[Owned], public_id: str, *options: LoaderOption) -> Owned:
    entity = by_public_id(uow.session, model, public_id, *options)
    check(uow, _organization_pk(entity), KIND[model], public_id, Role.MANAGER)
    return entity


def owned(uow: UnitOfWork, organization_id: str) -> Organization:
    """An organization the actor owns (key management, audit log)."""
    organization = by_public_id(uow.session, Organization, organization_id)
    check(uow, organization.id, "organization", organization_id, Role.OWNER)
    return organization


Child = TypeVar("Child", Location, InStoreOffer, ApiKey, Integration, SyncJob, WebhookEndpoint)


def tenant_object(uow: UnitOfWork, model: type[Child], public_id: str, need: Role) -> tuple[Child, str]:
    """An object that belongs to an organization, with that organization's public id, if the actor may."""
    row = uow.session.execute(
        select(model, Organization.public_id)
        .join(Organization, Organization.id == model.organization_id)
        .where(model.public_id == public_id)
    ).first()
    if row is None:
        raise NotFound.of(KIND[model], public_id)
    entity, organization_id = row
    check(uow, entity.organization_id, KIND[model], public_id, need)
    return entity, organization_id


def require_writer_somewhere(uow: UnitOfWork) -> None:
    if not uow.actor.writes_somewhere():
        raise Forbidden("Registering products needs an owner or manager role in some organization.")


def own_location_pk(uow: UnitOfWork, organization: Organization, location_id: str | None) -> int | None:
    """The pk of `location_id` when it is one of `organization`'s stores (None: no filter); else not_found."""
    if location_id is None:
        return None
    location = by_public_id(uow.session, Location, location_id)
    if location.organization_id != organization.id:
        raise NotFound.of("location", location_id)
    return location.id
