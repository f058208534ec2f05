"""Who may do what: roles, scopes and the principal a request acts as.

- Roles are per organization: OWNER and MANAGER may change it, STAFF may read its
  private data; anyone else does not know it exists.
- Scopes are per credential (API key or OAuth token) and say which kinds of change it
  may make at all; a write needs the scope AND a writing role.
- The operator is the local principal of the stdio transport: every role everywhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Literal

from localshelf.domain.errors import ErrorCode, Forbidden, InvalidInput


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    STAFF = "staff"


WRITE_ROLES = frozenset({Role.OWNER, Role.MANAGER})
_RANK = {Role.STAFF: 0, Role.MANAGER: 1, Role.OWNER: 2}


class Scope(StrEnum):
    LOCATIONS_WRITE = "locations:write"
    OFFERS_WRITE = "offers:write"
    INTEGRATIONS_WRITE = "integrations:write"
    ORGANIZATIONS_WRITE = "organizations:write"
    KEYS_WRITE = "keys:write"
    BRANDS_WRITE = "brands:write"


ALL_SCOPES = frozenset(scope.value for scope in Scope)

PrincipalKind = Literal["operator", "api_key", "user"]


def role_at_least(role: Role, floor: Role) -> bool:
    return _RANK[role] >= _RANK[floor]


def parse_scopes(values: list[str] | tuple[str, ...] | frozenset[str]) -> frozenset[str]:
    unknown = sorted(set(values) - ALL_SCOPES)
    if unknown:
        raise InvalidInput(f"Unknown scope(s) {unknown}; known scopes: {sorted(ALL_SCOPES)}.")
    return frozenset(values)


@dataclass(frozen=True)
class Principal:
    kind: PrincipalKind
    name: str
    scopes: frozenset[str]
    roles: Mapping[int, Role] = field(default_factory=lambda: MappingProxyType({}))
    user_id: int | None = None
    key_prefix: str | None = None
    last_used_at: datetime | None = field(default=None, compare=False)

    @property
    def is_operator(self) -> bool:
        return self.kind == "operator"

    @property
    def throttle_key(self) -> str:
        """Short and fixed-length whatever the OAuth subject looks like (it is stored as a row key)."""
        if self.key_prefix:
            return f"key:{self.key_prefix}"
        return f"{self.kind}:{hashlib.sha256(self.name.encode()).hexdigest()[:32]}"

    def role_in(self, organization_pk: int) -> Role | None:
        return Role.OWNER if self.is_operator else self.roles.get(organization_pk)

    def has_scope(self, scope: str) -> bool:
        return self.is_operator or scope in self.scopes

    def require_scope(self, scope: str) -> None:
        if not self.has_scope(scope):
            raise Forbidden(
                f"This credential lacks the {scope} scope; use a key or token that has it.",
                ErrorCode.INSUFFICIENT_SCOPE,
            )

    def writes_somewhere(self) -> bool:
        return self.is_operator or any(role in WRITE_ROLES for role in self.roles.values())


OPERATOR = Principal(kind="operator", name="operator", scopes=ALL_SCOPES)
