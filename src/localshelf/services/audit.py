"""The audit trail: every write attempt, whoever made it and however it ended."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field
from sqlalchemy import select

from localshelf.domain.auth import Principal
from localshelf.services.access import owned
from localshelf.services.cursors import decode_cursor, encode_cursor
from localshelf.store.db import UnitOfWork
from localshelf.store.models import ApiKey, AuditEntry, InStoreOffer, Location, Organization


class AuditEntryView(BaseModel):
    principal: str = Field(description="Who: 'operator', an OAuth subject, or an API key's name.")
    key_prefix: str | None
    tool: str
    target_ids: list[str]
    outcome: str = Field(description="'ok' or the error code the call ended with.")
    occurred_at: datetime


class AuditPage(BaseModel):
    entries: list[AuditEntryView] = Field(description="Newest first.")
    next_cursor: str | None


def record(
    uow: UnitOfWork,
    principal: Principal,
    tool: str,
    organization_id: str | None,
    target_ids: list[str],
    outcome: str,
    now: datetime,
) -> None:
    organization_pk = _organization_of(uow, organization_id, target_ids)
    if organization_pk is not None and principal.role_in(organization_pk) is None:
        # An outsider's attempt is kept (operators see it) but not filed under the tenant it
        # aimed at: that tenant's owners would otherwise learn the outsider's key names.
        organization_pk = None
    uow.session.add(
        AuditEntry(
            organization_id=organization_pk,
            principal=principal.name,
            key_prefix=principal.key_prefix,
            tool=tool,
            target_ids=target_ids,
            outcome=outcome,
            occurred_at=now,
        )
    )


def _organization_of(uow: UnitOfWork, organization_id: str | None, target_ids: list[str]) -> int | None:
    """The organization a call aimed at: named directly, or owning the location, offer or key it named."""
    if organization_id:
        return uow.session.scalar(select(Organization.id).where(Organization.public_id == organization_id))
    for model in (Location, InStoreOffer, ApiKey):
        found = uow.session.scalar(select(model.organization_id).where(model.public_id.in_(target_ids)).limit(1))
        if found is not None:
            return found
    return None


def list_audit_entries(uow: UnitOfWork, organization_id: str, cursor: str | None, limit: int) -> AuditPage:
    organization = owned(uow, organization_id)
    query = select(AuditEntry).where(AuditEntry.organization_id == organization.id)
    if cursor:
        query = query.where(AuditEntry.id < decode_cursor("a", cursor))
    rows = uow.session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit + 1)).all()
    page = rows[:limit]
    return AuditPage(
        entries=[
            AuditEntryView(
                principal=row.principal,
                key_prefix=row.key_prefix,
                tool=row.tool,
                target_ids=list(row.target_ids),
                outcome=row.outcome,
                occurred_at=row.occurred_at,
            )
            for row in page
        ],
        next_cursor=encode_cursor("a", page[-1].id) if len(rows) > limit else None,
    )
