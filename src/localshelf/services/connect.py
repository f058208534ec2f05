"""Headless POS connect: the OAuth 2.0 device authorization grant (RFC 8628) in front of the provider's OAuth.

An agent starts a grant and gets a short user code; a person enters it on the verification
page (any device), sees which organization and shop they are connecting, approves, and is
sent through the provider's consent; the provider's callback completes the grant; the
agent's poll turns `connected`. Codes are stored hashed; user codes are single-use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlencode

from pydantic import BaseModel, Field
from sqlalchemy import case, select, update

from localshelf.domain import device_codes as codes
from localshelf.domain.auth import Role
from localshelf.domain.errors import Conflict, ErrorCode, InvalidInput, NotFound
from localshelf.domain.ids import new_public_id
from localshelf.pos.registry import valid_domain_prefix, valid_merchant_id
from localshelf.pos.signatures import valid_shop_domain
from localshelf.services.access import readable, tenant_object, writable
from localshelf.store.db import UnitOfWork
from localshelf.store.models import ConnectGrant, Integration, Organization

Provider = Literal["shopify", "square", "clover", "lightspeed"]
PollStatus = Literal["authorization_pending", "slow_down", "access_denied", "expired_token", "connected"]


class IntegrationView(BaseModel):
    id: str
    organization_id: str
    provider: Provider
    external_account: str = Field(description="The POS account, e.g. the Shopify shop domain.")
    status: Literal["pending", "connected", "error", "reauthorization_required", "disconnected"]
    scopes: list[str]
    created_at: datetime
    connected_at: datetime | None
    last_sync_at: datetime | None
    error_message: str | None = Field(description="Why the integration needs attention, when it does.")


class ConnectStarted(BaseModel):
    device_code: str = Field(description="Secret: pass it to poll_pos_connect; never show it to the person.")
    user_code: str = Field(description="Show this to the person, with verification_uri.")
    verification_uri: str
    verification_uri_complete: str = Field(description="The page with the code filled in (for a link or QR).")
    expires_in: int = Field(description="Seconds until the codes expire.")
    interval: int = Field(description="Poll no more often than this many seconds.")
    integration_id: str
    install_url: str = Field(
        description="One-click alternative for a person at this computer: goes straight to the POS's consent "
        "screen. Single-use, expires with the codes; treat it as a secret."
    )


class ConnectPoll(BaseModel):
    status: PollStatus
    interval: int = Field(description="Seconds to wait before the next poll (grows after slow_down).")
    integration: IntegrationView | None = None


class GrantOnPage(BaseModel):
    """What the verification page shows the person before they approve."""

    user_code: str
    organization_name: str
    provider: Provider
    external_account: str


def integration_view(integration: Integration, organization_id: str) -> IntegrationView:
    return IntegrationView(
        id=integration.public_id,
        organization_id=organization_id,
        provider=integration.provider,
        external_account=integration.external_account,
        status=integration.status,
        scopes=list(integration.scopes or []),
        created_at=integration.created_at,
        connected_at=integration.connected_at,
        last_sync_at=integration.last_sync_at,
        error_message=integration.error_message if integration.status != "connected" else None,
    )


def _integration(uow: UnitOfWork, organization: Organization, provider: str, account: str) -> Integration:
    found = _existing(uow, organization.id, provider, account)
    if found is None:
        found = Integration(
            public_id=new_public_id("integration"),
            organization_id=organization.id,
            provider=provider,
            external_account=account,
            status="pending",
            scopes=[],
        )
        uow.session.add(found)
        uow.session.flush()
    return found


PENDING_ACCOUNT = "pending-"  # placeholder until the provider's callback names the merchant


def _account_argument(provider: str, account: str | None) -> str | None:
    """The POS account as named up front: required for Shopify (the shop), optional elsewhere."""
    value = (account or "").strip().lower() if provider in ("shopify", "lightspeed") else (account or "").strip()
    if provider == "shopify":
        if not valid_shop_domain(value):
            raise InvalidInput(
                f"{(account or '')!r:.60} is not a shop domain like 'alder-hardware.myshopify.com' "
                "(Shopify needs the shop in `account`)."
            )
        return value
    if not value:
        return None
    valid = valid_domain_prefix(value) if provider == "lightspeed" else valid_merchant_id(value)
    if not valid:
        raise InvalidInput(f"{account!r:.60} is not a {provider} account id.")
    return value


def start_pos_connect(
    uow: UnitOfWork,
    organization_id: str,
    provider: str,
    account: str | None,
    now: datetime,
    web_base_url: str,
    available: frozenset[str],
) -> ConnectStarted:
    organization = writable(uow, Organization, organization_id)
    if provider not in available:
        raise InvalidInput(
            f"{provider} connect is not set up on this server; available: {', '.join(sorted(available)) or 'none'}.",
            ErrorCode.INVALID_ARGUMENT,
        )
    named = _account_argument(provider, account)
    integration = _integration(uow, organization, provider, named or PENDING_ACCOUNT + codes.new_device_code()[:16])
    device_code, user_code, install_token = codes.new_device_code(), codes.new_user_code(), codes.new_device_code()
    uow.session.add(
        ConnectGrant(
            organization_id=organization.id,
            integration_id=integration.id,
            device_code_hash=codes.code_hash(device_code),
            user_code=codes.normalize_user_code(user_code) or user_code,
            status="pending",
            interval_seconds=codes.DEFAULT_INTERVAL_SECONDS,
            expires_at=now + timedelta(seconds=codes.DEFAULT_EXPIRES_IN_SECONDS),
            install_token_hash=codes.code_hash(install_token),
            created_at=now,
        )
    )
    uow.session.flush()
    page = f"{web_base_url}/connect"
    install = {"token": install_token} if named is None else {"shop": named, "token": install_token}
    return ConnectStarted(
        device_code=device_code,
        user_code=user_code,
        verification_uri=page,
        verification_uri_complete=f"{page}?user_code={user_code}",
        expires_in=codes.DEFAULT_EXPIRES_IN_SECONDS,
        interval=codes.DEFAULT_INTERVAL_SECONDS,
        integration_id=integration.public_id,
        install_url=f"{web_base_url}/integrations/{provider}/install?{urlencode(install)}",
    )


def poll_pos_connect(uow: UnitOfWork, device_code: str, now: datetime) -> ConnectPoll:
    grant = uow.session.scalar(
        select(ConnectGrant).where(ConnectGrant.device_code_hash == codes.code_hash(device_code))
    )
    if grant is None:
        raise NotFound("No connect grant for that device_code.")
    organization = uow.session.get(Organization, grant.organization_id)
    assert organization is not None
    try:
        writable(uow, Organization, organization.public_id)
    except NotFound:
        raise NotFound("No connect grant for that device_code.") from None
    too_fast, interval = codes.poll_decision(
        grant.last_polled_at.timestamp() if grant.last_polled_at else None, grant.interval_seconds, now.timestamp()
    )
    grant.last_polled_at, grant.interval_seconds = now, interval
    if grant.status == "connected":
        integration = uow.session.get(Integration, grant.integration_id)
        assert integration is not None
        grant.status = "expired"  # the device code is single-use: a second poll after success expires
        return ConnectPoll(
            status="connected", interval=interval, integration=integration_view(integration, organization.public_id)
        )
    if grant.status == "expired" or now >= grant.expires_at:
        grant.status = "expired"
        return ConnectPoll(status="expired_token", interval=interval)
    if grant.status == "denied":
        return ConnectPoll(status="access_denied", interval=interval)
    return ConnectPoll(status="slow_down" if too_fast else "authorization_pending", interval=interval)


def _live_grant(uow: UnitOfWork, user_code: str, now: datetime) -> ConnectGrant | None:
    """The pending grant a person's entry names; a wrong entry counts against the codes it may aim at."""
    normalized = codes.normalize_user_code(user_code)
    if normalized is None:
        return None
    grant = uow.session.scalar(select(ConnectGrant).where(ConnectGrant.user_code == normalized))
    if grant is None or grant.status != "pending" or now >= grant.expires_at:
        _count_wrong_entry(uow, codes.user_code_selector(normalized), now)
        return None
    return grant


def _count_wrong_entry(uow: UnitOfWork, selector: str, now: datetime) -> None:
    """One more wrong entry for every live code starting with `selector`; a code that reaches
    `MAX_WRONG_ATTEMPTS` expires (RFC 8628 §5.1), so guessing it further is pointless."""
    candidates = uow.session.execute(
        select(ConnectGrant.id, ConnectGrant.expires_at).where(
            ConnectGrant.user_code.startswith(selector, autoescape=True), ConnectGrant.status == "pending"
        )
    )
    live = [grant_id for grant_id, expires_at in candidates if now < expires_at]
    if not live:
        return
    attempts = ConnectGrant.wrong_attempts + 1
    uow.session.execute(
        update(ConnectGrant)
        .where(ConnectGrant.id.in_(live), ConnectGrant.status == "pending")
        .values(
            wrong_attempts=attempts,
            status=case((attempts >= codes.MAX_WRONG_ATTEMPTS, "expired"), else_=ConnectGrant.status),
        )
        .execution_options(synchronize_session=False)
    )


def approve_install(
    uow: UnitOfWork, install_token: str, provider: str, shop: str | None, state: str, now: datetime
) -> PendingConsent | None:
    """The one-click link: approve its live grant (for `shop`, when the provider names it up front) and remember
    the OAuth `state`. Single use."""
    grant = uow.session.scalar(
        select(ConnectGrant).where(ConnectGrant.install_token_hash == codes.code_hash(install_token))
    )
    if grant is None or grant.status != "pending" or now >= grant.expires_at:
        return None
    integration = uow.session.get(Integration, grant.integration_id)
    assert integration is not None
    consent = _consent(integration)
    if integration.provider != provider or consent.account != shop:
        return None
    grant.status, grant.oauth_state_hash, grant.install_token_hash = "approved", codes.code_hash(state), None
    return consent


def grant_for_page(uow: UnitOfWork, user_code: str, now: datetime) -> GrantOnPage | None:
    """What the person is about to approve; None for a wrong, used or expired code (a write: wrong ones count)."""
    grant = _live_grant(uow, user_code, now)
    if grant is None:
        return None
    organization = uow.session.get(Organization, grant.organization_id)
    integration = uow.session.get(Integration, grant.integration_id)
    assert organization is not None and integration is not None
    return GrantOnPage(
        user_code=grant.user_code,
        organization_name=organization.name,
        provider=integration.provider,
        external_account=integration.external_account,
    )


def code_expired(uow: UnitOfWork, user_code: str, now: datetime) -> bool:
    """Whether a refused entry names a code that ran out of time (or of tries) rather than a wrong or used one,
    so the page can ask for a new code. It tells a guesser only that a dead code existed."""
    normalized = codes.normalize_user_code(user_code)
    if normalized is None:
        return False
    grant = uow.session.scalar(select(ConnectGrant).where(ConnectGrant.user_code == normalized))
    if grant is None or grant.status in ("denied", "connected"):
        return False
    return grant.status == "expired" or now >= grant.expires_at


@dataclass(frozen=True)
class PendingConsent:
    """Where to send the person: the provider, and the account when it is known before consent."""

    provider: str
    account: str | None


def _consent(integration: Integration) -> PendingConsent:
    account = integration.external_account
    return PendingConsent(integration.provider, None if account.startswith(PENDING_ACCOUNT) else account)


def approve(uow: UnitOfWork, user_code: str, state: str, now: datetime) -> PendingConsent | None:
    """Mark the grant approved and remember the OAuth `state`; None if the code is dead."""
    grant = _live_grant(uow, user_code, now)
    if grant is None:
        return None
    grant.status, grant.oauth_state_hash = "approved", codes.code_hash(state)
    integration = uow.session.get(Integration, grant.integration_id)
    assert integration is not None
    return _consent(integration)


def deny(uow: UnitOfWork, user_code: str, now: datetime) -> bool:
    grant = _live_grant(uow, user_code, now)
    if grant is None:
        return False
    grant.status = "denied"
    return True


def grant_for_state(uow: UnitOfWork, state: str, now: datetime) -> PendingConsent | None:
    """What an OAuth callback's `state` was issued for, if it is live and unused."""
    grant = uow.session.scalar(select(ConnectGrant).where(ConnectGrant.oauth_state_hash == codes.code_hash(state)))
    if grant is None or grant.status != "approved" or now >= grant.expires_at:
        return None
    integration = uow.session.get(Integration, grant.integration_id)
    assert integration is not None
    return _consent(integration)


def deny_by_state(uow: UnitOfWork, state: str, now: datetime) -> bool:
    """The person refused at the provider's consent screen."""
    grant = uow.session.scalar(select(ConnectGrant).where(ConnectGrant.oauth_state_hash == codes.code_hash(state)))
    if grant is None or grant.status != "approved" or now >= grant.expires_at:
        return False
    grant.status, grant.oauth_state_hash = "denied", None
    return True


def complete(
    uow: UnitOfWork,
    state: str,
    account: str,
    tokens: StoredTokens,
    now: datetime,
) -> IntegrationView | None:
    """Store the provider's tokens and connect; the state is consumed (single use).

    When the provider names the merchant only now (Square, Clover, Lightspeed) and the organization already
    has an integration for it, that one is reconnected and the placeholder is dropped."""
    grant = uow.session.scalar(select(ConnectGrant).where(ConnectGrant.oauth_state_hash == codes.code_hash(state)))
    if grant is None or grant.status != "approved":
        return None
    integration = uow.session.get(Integration, grant.integration_id)
    organization = uow.session.get(Organization, grant.organization_id)
    assert integration is not None and organization is not None
    if integration.external_account != account:
        if not integration.external_account.startswith(PENDING_ACCOUNT):
            return None  # consent was given for another account than the one this connect named
        existing = _existing(uow, organization.id, integration.provider, account)
        if existing is not None:
            grant.integration_id = existing.id
            uow.session.flush()
            uow.session.delete(integration)
            integration = existing
        else:
            integration.external_account = account
    integration.access_token_encrypted = tokens.access
    integration.refresh_token_encrypted = tokens.refresh
    integration.token_expires_at = tokens.expires_at
    integration.scopes = sorted(tokens.scopes)
    integration.status, integration.connected_at, integration.disconnected_at = "connected", now, None
    integration.error_message = None
    grant.status, grant.oauth_state_hash = "connected", None
    uow.session.flush()
    return integration_view(integration, organization.public_id)


@dataclass(frozen=True)
class StoredTokens:
    access: str  # encrypted
    refresh: str | None  # encrypted
    expires_at: datetime | None
    scopes: tuple[str, ...]


def _existing(uow: UnitOfWork, organization_id: int, provider: str, account: str) -> Integration | None:
    return uow.session.scalar(
        select(Integration).where(
            Integration.organization_id == organization_id,
            Integration.provider == provider,
            Integration.external_account == account,
        )
    )


def list_integrations(uow: UnitOfWork, organization_id: str) -> list[IntegrationView]:
    organization = readable(uow, Organization, organization_id)
    rows = uow.session.scalars(
        select(Integration).where(Integration.organization_id == organization.id).order_by(Integration.id)
    )
    return [integration_view(row, organization.public_id) for row in rows]


def owned_integration(uow: UnitOfWork, integration_id: str, write: bool) -> tuple[Integration, str]:
    return tenant_object(uow, Integration, integration_id, Role.MANAGER if write else Role.STAFF)


def require_connected(integration: Integration) -> None:
    if integration.status == "connected" and integration.access_token_encrypted:
        return
    advice = {
        "reauthorization_required": "the POS refused the stored token; reconnect with start_pos_connect",
        "disconnected": "it was disconnected; reconnect with start_pos_connect",
        "pending": "the connect was not completed; finish it with poll_pos_connect or start again",
    }.get(integration.status, "reconnect with start_pos_connect")
    raise Conflict(f"Integration {integration.public_id} is {integration.status}: {advice}.", ErrorCode.NOT_CONNECTED)


def get_integration(uow: UnitOfWork, integration_id: str) -> IntegrationView:
    integration, organization_id = owned_integration(uow, integration_id, write=False)
    return integration_view(integration, organization_id)


def disconnect_integration(uow: UnitOfWork, integration_id: str, now: datetime) -> IntegrationView:
    """Stop updates, keep offers and data (seed), forget the token."""
    integration, organization_id = owned_integration(uow, integration_id, write=True)
    integration.status, integration.disconnected_at = "disconnected", now
    integration.access_token_encrypted = None
    uow.session.flush()
    return integration_view(integration, organization_id)


def connected_account(uow: UnitOfWork, integration_id: str) -> int | None:
    """The primary key of a connected integration the actor may read; None when it is not connected."""
    integration, _ = owned_integration(uow, integration_id, write=False)
    if integration.status != "connected" or not integration.access_token_encrypted:
        return None
    return integration.id
