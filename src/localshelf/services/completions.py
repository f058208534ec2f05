"""Id completions for clients that offer them (resource template and prompt arguments): the caller's own only."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import select

from localshelf.store.db import UnitOfWork
from localshelf.store.models import Integration, Location, Organization

IdKind = Literal["organization", "location", "integration"]
COMPLETION_LIMIT = 100  # the most values one MCP completion may carry


def own_ids(uow: UnitOfWork, kind: IdKind, prefix: str) -> list[str]:
    """Public ids of `kind` that start with `prefix`, in organizations the actor has a role in (any, for the
    local operator): the same membership the tenant check in services/access.py applies."""
    public_id, organization_pk = {
        "organization": (Organization.public_id, Organization.id),
        "location": (Location.public_id, Location.organization_id),
        "integration": (Integration.public_id, Integration.organization_id),
    }[kind]
    query = (
        select(public_id)
        .where(public_id.startswith(prefix, autoescape=True))
        .order_by(public_id)
        .limit(COMPLETION_LIMIT)
    )
    if not uow.actor.is_operator:
        query = query.where(organization_pk.in_(list(uow.actor.roles)))
    return list(uow.session.scalars(query))
