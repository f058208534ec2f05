"""Is a retailer discoverable in local search yet, and if not, what exactly is the next call?

Rules (the brief's checks, with the choices it left open):
- The retailer is discoverable when nothing blocks: a published location with valid coordinates holds at least
  one in_stock/low_stock offer, and the POS side (when there is one) is connected, mapped and synced.
- Blockers are listed in the order they must be cleared: connect → publish a location → learn the POS
  locations → map them → first sync → stock. `blockers[0].next_step` is always the call to make now.
- A retailer with no live integration (none pending, connected, error or reauthorization_required) and at
  least one manual offer runs on manual stock: POS checks are `not_applicable`. A brand-new retailer has
  neither, so "connect a POS" is its first blocker, with the manual route as the blocker's `alternative`.
- An unmapped POS location blocks only while no POS location is mapped at all (a POS may list warehouses);
  otherwise it is a warning. A last successful sync older than 24 h and a connected integration without a
  webhook endpoint are warnings: search still finds the retailer, ranked lower / updated only daily.
- A connect in progress shows the verification page but never the user code (any member may read this):
  the agent that started the connect holds it; starting again gives a new one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, select

from localshelf.domain.confidence import as_utc
from localshelf.domain.errors import ErrorCode, InvalidInput
from localshelf.domain.geo import validate_coordinates
from localshelf.services.access import readable
from localshelf.services.connect import PENDING_ACCOUNT
from localshelf.services.pos_locations import SUGGESTION_THRESHOLD, _similarity
from localshelf.services.webhooks import has_endpoint
from localshelf.store.db import UnitOfWork
from localshelf.store.models import (
    ACTIVE_SYNC_STATES,
    ConnectGrant,
    InStoreOffer,
    Integration,
    Location,
    Organization,
    PosLocationLink,
    SyncJob,
)

STALE_SYNC = timedelta(hours=24)
LIVE_STATUSES = ("pending", "connected", "error", "reauthorization_required")
SEARCHABLE = ("in_stock", "low_stock")
ASK = "<ask the retailer>"

CheckStatus = Literal["ok", "failed", "warning", "not_applicable"]
Mode = Literal["pos", "manual", "undecided"]


class NextStep(BaseModel):
    """One concrete action. `tool` + `arguments` is a call to make (a value in <angle brackets> is what to ask
    the person); `wait_seconds` says to wait that long first; `handoff` is what to show the person."""

    tool: str | None = Field(description="The tool to call next; null when the step is only to wait.")
    arguments: dict[str, Any] = Field(description="Its arguments, filled in as far as known.")
    wait_seconds: int | None = Field(default=None, description="Wait this many seconds before calling.")
    handoff: dict[str, str] | None = Field(default=None, description="What to show the person (e.g. a page URL).")
    note: str | None = None


class Check(BaseModel):
    name: str
    ok: bool = Field(description="False only when this check fails or warns; not_applicable counts as ok.")
    status: CheckStatus
    detail: str


class Issue(BaseModel):
    code: str
    message: str
    next_step: NextStep
    alternative: NextStep | None = Field(
        default=None, description="Another route, e.g. manual offers for a retailer without a POS."
    )


class OnboardingStatus(BaseModel):
    organization_id: str
    mode: Mode = Field(description="pos (a POS integration exists), manual (offers entered by hand) or undecided.")
    discoverable: bool = Field(description="True when shoppers' local searches can find this retailer now.")
    published_locations: int
    in_stock_offers: int = Field(description="in_stock/low_stock offers at published locations.")
    checks: list[Check]
    blockers: list[Issue] = Field(description="In order: clear blockers[0] first, then ask again.")
    warnings: list[Issue]


@dataclass
class _Report:
    checks: list[Check] = field(default_factory=list)
    blockers: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    def check(self, name: str, status: CheckStatus, detail: str) -> None:
        self.checks.append(Check(name=name, ok=status in ("ok", "not_applicable"), status=status, detail=detail))


def _call(tool: str, **arguments: Any) -> NextStep:
    return NextStep(tool=tool, arguments=arguments)


def get_onboarding_status(uow: UnitOfWork, organization_id: str, now: datetime, web_base_url: str) -> OnboardingStatus:
    organization = readable(uow, Organization, organization_id)
    if organization.kind != "retailer":
        raise InvalidInput(
            f"Organization {organization_id!r} is a brand: brands are not listed in local search (see claim_brand).",
            ErrorCode.WRONG_ORGANIZATION_KIND,
        )
    org_id = organization.public_id
    session = uow.session
    integrations = list(
        session.scalars(
            select(Integration).where(Integration.organization_id == organization.id).order_by(Integration.id)
        )
    )
    live = [i for i in integrations if i.status in LIVE_STATUSES]
    connected = [i for i in live if i.status == "connected"]
    locations = list(
        session.scalars(
            select(Location)
            .where(Location.organization_id == organization.id)
            .order_by(Location.created_at, Location.id)
        )
    )
    published = [loc for loc in locations if loc.published and _has_coordinates(loc)]
    in_stock = _count_offers(uow, organization.id, SEARCHABLE, published=True)
    manual_offers = _count_offers(uow, organization.id, None, published=False, source="manual")
    mode: Mode = "pos" if live else ("manual" if manual_offers else "undecided")
    report = _Report()

    _check_connection(uow, report, org_id, integrations, live, connected, mode, published, now, web_base_url)
    links = {i.id: _active_links(uow, i) for i in connected}
    for integration in connected:
        if not links[integration.id]:
            report.blockers.append(
                Issue(
                    code="pos_locations_unknown",
                    message="Read the POS's store locations: each is then published and mapped to a store.",
                    next_step=_call("list_pos_locations", integration_id=integration.public_id),
                )
            )
    unmapped = [link for found in links.values() for link in found if link.location_id is None]
    _check_locations(report, org_id, published, unmapped[0] if unmapped else None)
    if mode == "pos" and connected:
        _check_mapping(report, org_id, connected, links, published)
        _check_syncs(uow, report, connected, now)
        _check_webhooks(uow, report, connected)
    else:
        for name in ("pos_locations_mapped", "last_successful_sync", "webhooks"):
            report.check(name, "not_applicable", _why_not_applicable(mode))
    _check_stock(report, org_id, mode, published, in_stock)
    return OnboardingStatus(
        organization_id=org_id,
        mode=mode,
        discoverable=not report.blockers,
        published_locations=len(published),
        in_stock_offers=in_stock,
        checks=report.checks,
        blockers=report.blockers,
        warnings=report.warnings,
    )


def _why_not_applicable(mode: Mode) -> str:
    if mode == "manual":
        return "No POS: this retailer's offers are entered by hand."
    return "No POS connected yet."


def _has_coordinates(location: Location) -> bool:
    try:
        validate_coordinates(location.latitude, location.longitude)
    except InvalidInput:
        return False
    return True


def _count_offers(
    uow: UnitOfWork, organization_pk: int, statuses: tuple[str, ...] | None, published: bool, source: str | None = None
) -> int:
    query = select(func.count()).select_from(InStoreOffer).where(InStoreOffer.organization_id == organization_pk)
    if statuses is not None:
        query = query.where(InStoreOffer.status.in_(statuses))
    if source is not None:
        query = query.where(InStoreOffer.source == source)
    if published:
        query = query.join(Location, Location.id == InStoreOffer.location_id).where(Location.published.is_(True))
    return int(uow.session.scalar(query) or 0)


def _account(integration: Integration) -> str | None:
    return None if integration.external_account.startswith(PENDING_ACCOUNT) else integration.external_account


def _reconnect(org_id: str, integration: Integration) -> NextStep:
    arguments: dict[str, Any] = {"organization_id": org_id, "provider": integration.provider}
    if _account(integration):
        arguments["account"] = _account(integration)
    step = NextStep(tool="start_pos_connect", arguments=arguments)
    step.note = "Then show the person user_code and verification_uri and poll_pos_connect every `interval` seconds."
    return step


def _manual_route(org_id: str, published: list[Location]) -> NextStep:
    if not published:
        return _publish_step(org_id, None, "No POS? Publish the store first, then add offers by hand.")
    return _offer_step(org_id, published[0].public_id)


def _check_connection(
    uow: UnitOfWork,
    report: _Report,
    org_id: str,
    integrations: list[Integration],
    live: list[Integration],
    connected: list[Integration],
    mode: Mode,
    published: list[Location],
    now: datetime,
    web_base_url: str,
) -> None:
    if mode == "manual":
        report.check("pos_connected", "not_applicable", "No POS: offers are entered by hand (manual route).")
        report.warnings.append(
            Issue(
                code="manual_stock_only",
                message="Stock is entered by hand, so it is only as fresh as the last update; connecting the POS "
                "keeps it live.",
                next_step=_call("start_pos_connect", organization_id=org_id, provider=ASK),
            )
        )
        return
    if not live:
        disconnected = [i for i in integrations if i.status == "disconnected"]
        step = (
            _reconnect(org_id, disconnected[-1])
            if disconnected
            else NextStep(
                tool="start_pos_connect",
                arguments={
                    "organization_id": org_id,
                    "provider": ASK + ": shopify, square, clover or lightspeed",
                    "account": ASK + ": for Shopify the shop domain, e.g. alder-hardware.myshopify.com; "
                    "leave out for other providers",
                },
                note="Then show the person user_code and verification_uri (or give them install_url) and call "
                "poll_pos_connect(device_code) every `interval` seconds until connected.",
            )
        )
        report.check("pos_connected", "failed", "No POS integration is connected.")
        report.blockers.append(
            Issue(
                code="pos_not_connected",
                message="Connect the retailer's POS so its stock reaches search, or (no POS) add offers by hand.",
                next_step=step,
                alternative=_manual_route(org_id, published),
            )
        )
        return
    broken = [i for i in live if i.status in ("error", "reauthorization_required")]
    for integration in broken:
        report.blockers.append(
            Issue(
                code="pos_reauthorization_required",
                message=f"The {integration.provider} connection {integration.public_id} is {integration.status}"
                f"{': ' + integration.error_message if integration.error_message else ''}. Reconnect it.",
                next_step=_reconnect(org_id, integration),
            )
        )
    for integration in (i for i in live if i.status == "pending"):
        issue = _pending_connect(uow, org_id, integration, now, web_base_url)
        (report.warnings if connected else report.blockers).append(issue)
    if connected and not broken:
        names = ", ".join(f"{i.provider} ({i.public_id})" for i in connected)
        report.check("pos_connected", "ok", f"Connected: {names}.")
    else:
        statuses = ", ".join(f"{i.provider} {i.status}" for i in live)
        report.check("pos_connected", "failed", f"No healthy POS connection ({statuses}).")


def _pending_connect(uow: UnitOfWork, org_id: str, integration: Integration, now: datetime, web_base_url: str) -> Issue:
    grant = uow.session.scalar(
        select(ConnectGrant)
        .where(ConnectGrant.integration_id == integration.id, ConnectGrant.status.in_(("pending", "approved")))
        .order_by(ConnectGrant.id.desc())
        .limit(1)
    )
    if grant is not None and as_utc(grant.expires_at) > as_utc(now):
        return Issue(
            code="pos_connect_in_progress",
            message=f"A {integration.provider} connect is waiting for the person to approve it on the "
            "verification page (with the user_code start_pos_connect gave you).",
            next_step=NextStep(
                tool="poll_pos_connect",
                arguments={"device_code": "<device_code from start_pos_connect>"},
                wait_seconds=grant.interval_seconds,
                handoff={
                    "verification_uri": f"{web_base_url}/connect",
                    "expires_at": as_utc(grant.expires_at).isoformat(),
                },
                note="Poll no faster than every `interval` seconds. Lost the device code or user code? Call "
                "start_pos_connect again.",
            ),
        )
    return Issue(
        code="pos_connect_expired",
        message=f"The {integration.provider} connect was not completed and its codes expired or were refused.",
        next_step=_reconnect(org_id, integration),
    )


def _publish_step(org_id: str, link: PosLocationLink | None, note: str | None = None) -> NextStep:
    arguments: dict[str, Any] = {
        "organization_id": org_id,
        "name": (link.name if link else None) or ASK + ": store name",
        "address_line1": (link.address_line1 if link else None) or ASK,
        "city": (link.city if link else None) or ASK,
        "country": ASK + ": ISO code, e.g. US",
        "latitude": ASK + ": the entrance's latitude (or leave out and give a US postal_code)",
        "longitude": ASK,
    }
    if link is not None and link.postal_code:
        arguments["postal_code"] = link.postal_code
    prefilled = " Prefilled from the POS location; confirm with the retailer." if link else ""
    return NextStep(tool="publish_location", arguments=arguments, note=((note or "") + prefilled).strip() or None)


def _offer_step(org_id: str, location_id: str) -> NextStep:
    return NextStep(
        tool="create_in_store_offer",
        arguments={
            "organization_id": org_id,
            "location_id": location_id,
            "gtin": ASK + ": the product's barcode",
            "sku": ASK,
            "price_minor": ASK + ": price in minor units (cents)",
            "currency": "USD",
            "quantity_on_hand": ASK,
        },
        note="If the GTIN is unknown to localshelf, call register_product(gtin, name, brand, category) first.",
    )


def _active_links(uow: UnitOfWork, integration: Integration) -> list[PosLocationLink]:
    return list(
        uow.session.scalars(
            select(PosLocationLink)
            .where(PosLocationLink.integration_id == integration.id, PosLocationLink.active.is_(True))
            .order_by(PosLocationLink.id)
        )
    )


def _check_locations(report: _Report, org_id: str, published: list[Location], link: PosLocationLink | None) -> None:
    if published:
        report.check("published_location", "ok", f"{len(published)} published location(s) with coordinates.")
        return
    report.check("published_location", "failed", "No published location with coordinates.")
    report.blockers.append(
        Issue(
            code="no_published_location",
            message="Publish the retailer's store with its address and coordinates: search is by distance.",
            next_step=_publish_step(org_id, link),
        )
    )


def _check_mapping(
    report: _Report,
    org_id: str,
    connected: list[Integration],
    links: dict[int, list[PosLocationLink]],
    published: list[Location],
) -> None:
    for integration in connected:
        found = links[integration.id]
        if not found:
            report.check("pos_locations_mapped", "failed", f"{integration.public_id}: POS locations not read yet.")
            continue
        unmapped = [link for link in found if link.location_id is None]
        if not unmapped:
            report.check("pos_locations_mapped", "ok", f"{integration.public_id}: all {len(found)} mapped.")
            continue
        status: CheckStatus = "failed" if len(unmapped) == len(found) else "warning"
        detail = f"{integration.public_id}: {len(unmapped)} of {len(found)} POS locations unmapped."
        report.check("pos_locations_mapped", status, detail)
        if not published:
            continue  # the publish blocker comes first, prefilled from the POS location
        issue = Issue(
            code="pos_locations_unmapped",
            message="Stock of an unmapped POS location is kept but not searchable: map each to its store "
            "(publish_location first for a store not published yet).",
            next_step=_mapping_step(org_id, integration, found, unmapped, published),
        )
        (report.blockers if status == "failed" else report.warnings).append(issue)


def _mapping_step(
    org_id: str,
    integration: Integration,
    found: list[PosLocationLink],
    unmapped: list[PosLocationLink],
    published: list[Location],
) -> NextStep:
    """Pairs each unmapped POS location with the free published store it resembles; a POS location with no such
    store needs one published first."""
    linked = {link.location_id for link in found if link.location_id is not None}
    free = [location for location in published if location.id not in linked]
    mapping = []
    for link in unmapped:
        scored = sorted(((_similarity(link, loc), index) for index, loc in enumerate(free)), reverse=True)
        if scored and scored[0][0] >= SUGGESTION_THRESHOLD:
            store = free.pop(scored[0][1])
            mapping.append({"pos_location_id": link.external_id, "location_id": store.public_id})
    if not mapping and free:
        mapping.append({"pos_location_id": unmapped[0].external_id, "location_id": free[0].public_id})
    if not mapping:
        return _publish_step(org_id, unmapped[0], "This POS location has no published store yet.")
    return NextStep(
        tool="map_pos_locations",
        arguments={"integration_id": integration.public_id, "mapping": mapping},
        note="Suggested from names and postal codes: confirm each pair with the retailer.",
    )


def _check_syncs(uow: UnitOfWork, report: _Report, connected: list[Integration], now: datetime) -> None:
    for integration in connected:
        last_success = uow.session.scalar(
            select(func.max(SyncJob.finished_at)).where(
                SyncJob.integration_id == integration.id, SyncJob.state == "succeeded"
            )
        )
        if last_success is not None:
            age = as_utc(now) - as_utc(last_success)
            hours = age.total_seconds() / 3600
            if age <= STALE_SYNC:
                report.check("last_successful_sync", "ok", f"{integration.public_id}: {hours:.1f} h ago.")
                continue
            report.check("last_successful_sync", "warning", f"{integration.public_id}: {hours:.1f} h ago.")
            report.warnings.append(
                Issue(
                    code="sync_stale",
                    message=f"The last successful sync was {hours:.0f} h ago: stock is uncertain and ranks lower.",
                    next_step=_call("trigger_sync", integration_id=integration.public_id),
                )
            )
            continue
        report.check("last_successful_sync", "failed", f"{integration.public_id}: no sync has succeeded yet.")
        report.blockers.append(_sync_issue(uow, integration))


def _sync_issue(uow: UnitOfWork, integration: Integration) -> Issue:
    latest = uow.session.scalar(
        select(SyncJob).where(SyncJob.integration_id == integration.id).order_by(SyncJob.id.desc()).limit(1)
    )
    if latest is not None and latest.state == "running":
        return Issue(
            code="sync_in_progress",
            message=f"The first sync is running (phase {latest.phase}).",
            next_step=NextStep(
                tool="get_sync_job",
                arguments={"job_id": latest.public_id},
                wait_seconds=10,
                note="Wait and poll get_sync_job(job_id) until state is succeeded, then ask again.",
            ),
        )
    if latest is not None and latest.state in ACTIVE_SYNC_STATES:
        return Issue(
            code="sync_queued",
            message="The first sync is queued.",
            next_step=NextStep(
                tool="trigger_sync",
                arguments={"integration_id": integration.public_id},
                note=f"Runs the queued job {latest.public_id} now and answers when it is done (or wait and poll "
                f"get_sync_job(job_id='{latest.public_id}') for the background worker).",
            ),
        )
    failure = f" The last attempt failed: {latest.error_message}" if latest and latest.state == "failed" else ""
    return Issue(
        code="never_synced",
        message=f"No sync has succeeded yet, so no POS stock is searchable.{failure}",
        next_step=_call("trigger_sync", integration_id=integration.public_id),
    )


def _check_webhooks(uow: UnitOfWork, report: _Report, connected: list[Integration]) -> None:
    for integration in connected:
        if has_endpoint(uow, integration.id):
            report.check("webhooks", "ok", f"{integration.public_id}: webhook endpoint present.")
            continue
        report.check("webhooks", "warning", f"{integration.public_id}: no webhook endpoint.")
        report.warnings.append(
            Issue(
                code="webhooks_missing",
                message="No webhook endpoint yet: stock follows the daily full sync only. The background worker "
                "subscribes missing webhooks; check again later.",
                next_step=NextStep(
                    tool="list_webhook_endpoints",
                    arguments={"integration_id": integration.public_id},
                    wait_seconds=60,
                ),
            )
        )


def _check_stock(report: _Report, org_id: str, mode: Mode, published: list[Location], in_stock: int) -> None:
    if in_stock:
        report.check("in_stock_offer", "ok", f"{in_stock} in-stock offer(s) at published locations.")
        return
    report.check("in_stock_offer", "failed", "No in_stock or low_stock offer at a published location.")
    if not published:
        return  # publishing comes first; the offer step needs its location id
    if mode == "pos":
        message = (
            "No in-stock offer yet. Once the POS is mapped and synced its barcoded, in-stock items become offers; "
            "if the sync finished with none, add one by hand."
        )
    else:
        message = "Add the retailer's products with their price and stock at a published location."
    report.blockers.append(
        Issue(code="no_in_stock_offer", message=message, next_step=_offer_step(org_id, published[0].public_id))
    )
