"""API keys: created by owners, shown once, stored as a SHA-256 hash, found by a short prefix.

A key looks like `lsk_<prefix>_<secret>`: the prefix (8 characters) identifies it in
lists, logs and the audit trail; the secret (32 characters, 160 bits) is never stored.
A fast hash is enough because the secret is random and long, unlike a password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from types import MappingProxyType

from pydantic import BaseModel, Field
from sqlalchemy import select

from localshelf.domain.auth import Principal, Role, parse_scopes, role_at_least
from localshelf.domain.errors import Forbidden, InvalidInput
from localshelf.domain.ids import ID_ALPHABET, new_public_id
from localshelf.services.access import owned, tenant_object
from localshelf.store.db import UnitOfWork
from localshelf.store.models import ApiKey

KEY_MARK = "lsk_"
PREFIX_LENGTH = 8
SECRET_LENGTH = 32
MAX_EXPIRY_DAYS = 3650
# Writing last_used_at on every request would turn reads into writes; a minute is precise enough.
LAST_USED_GRANULARITY = timedelta(minutes=1)


class ApiKeyView(BaseModel):
    id: str
    prefix: str = Field(description="Shown in lists and audit entries; the key itself is never shown again.")
    organization_id: str
    role: Role
    scopes: list[str]
    name: str
    created_by: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class CreatedApiKey(ApiKeyView):
    key: str = Field(description="The secret key. Shown only now: store it; it cannot be recovered.")


class ApiKeyList(BaseModel):
    keys: list[ApiKeyView]


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _random(length: int) -> str:
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(length))


def _view(key: ApiKey, organization_id: str) -> ApiKeyView:
    return ApiKeyView(
        id=key.public_id,
        prefix=key.prefix,
        organization_id=organization_id,
        role=Role(key.role),
        scopes=sorted(key.scopes),
        name=key.name,
        created_by=key.created_by,
        created_at=key.created_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        last_used_at=key.last_used_at,
    )


def create_api_key(
    uow: UnitOfWork,
    organization_id: str,
    role: Role,
    scopes: list[str],
    name: str,
    expires_in_days: int | None,
    now: datetime,
) -> CreatedApiKey:
    organization = owned(uow, organization_id)
    wanted = parse_scopes(scopes)
    actor = uow.actor
    if not actor.is_operator:
        # A key can hand out no more than its creator holds.
        beyond = sorted(wanted - actor.scopes)
        if beyond:
            raise Forbidden(f"You cannot grant scopes you do not hold: {beyond}.")
        own_role = actor.role_in(organization.id)
        if own_role is None or not role_at_least(own_role, role):
            raise Forbidden(f"You cannot grant a role above your own ({own_role}).")
    if expires_in_days is not None and not 1 <= expires_in_days <= MAX_EXPIRY_DAYS:
        raise InvalidInput(f"expires_in_days must be between 1 and {MAX_EXPIRY_DAYS}.")
    prefix = _random(PREFIX_LENGTH)
    secret = f"{KEY_MARK}{prefix}_{_random(SECRET_LENGTH)}"
    key = ApiKey(
        public_id=new_public_id("api_key"),
        prefix=prefix,
        secret_hash=hash_key(secret),
        organization_id=organization.id,
        role=role.value,
        scopes=sorted(wanted),
        name=name,
        created_by=actor.key_prefix or actor.name,
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    uow.session.add(key)
    uow.session.flush()
    return CreatedApiKey(**_view(key, organization.public_id).model_dump(), key=secret)


def list_api_keys(uow: UnitOfWork, organization_id: str) -> ApiKeyList:
    organization = owned(uow, organization_id)
    keys = uow.session.scalars(
        select(ApiKey).where(ApiKey.organization_id == organization.id).order_by(ApiKey.id)
    ).all()
    return ApiKeyList(keys=[_view(key, organization.public_id) for key in keys])


def revoke_api_key(uow: UnitOfWork, key_id: str, now: datetime) -> ApiKeyView:
    key, organization_id = tenant_object(uow, ApiKey, key_id, Role.OWNER)
    key.revoked_at = key.revoked_at or now
    uow.session.flush()
    return _view(key, organization_id)


def authenticate_key(uow: UnitOfWork, presented: str, now: datetime) -> Principal | None:
    """The principal of a presented key, or None for anything but a live, matching key.

    Reads only (runs in a read-only unit); `touch_key` records the use when `key_needs_touch` says so.
    """
    parts = presented.split("_")
    if len(parts) != 3 or f"{parts[0]}_" != KEY_MARK or len(parts[1]) != PREFIX_LENGTH:
        return None
    key = uow.session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if key is None or not hmac.compare_digest(key.secret_hash, hash_key(presented)):
        return None
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        return None
    return Principal(
        kind="api_key",
        name=key.name,
        scopes=frozenset(key.scopes),
        roles=MappingProxyType({key.organization_id: Role(key.role)}),
        key_prefix=key.prefix,
        last_used_at=key.last_used_at,
    )


def key_needs_touch(principal: Principal, now: datetime) -> bool:
    last = principal.last_used_at
    return principal.key_prefix is not None and (last is None or now - last >= LAST_USED_GRANULARITY)


def touch_key(uow: UnitOfWork, prefix: str, now: datetime) -> None:
    """Record a key's use (at most once per LAST_USED_GRANULARITY, so reads stay reads)."""
    key = uow.session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is not None:
        key.last_used_at = now
