"""SQL for stored webhook events and for applying them a batch at a time.

A batch is claimed with FOR UPDATE SKIP LOCKED inside the unit of work that applies it: a second worker skips
the rows another one holds, and a worker that dies mid-batch releases them (the transaction rolls back), so
the events stay pending until some worker applies them. SQLite has no row locks (the clause is left out): its
write units hold the database's write lock, which serialises workers anyway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Row, bindparam, or_, select, update
from sqlalchemy.orm import Session

from localshelf.store.db import UnitOfWork
from localshelf.store.models import Integration, PosItem, PosStock, WebhookEndpoint, WebhookEvent
from localshelf.store.pos_staging import stock_upsert

StockKey = tuple[str, str]  # (inventory item id, POS location id)

# Every delivery runs these: built once (SQLAlchemy then only looks their compiled form up), parameters bound.
_RECEIVER = (
    select(Integration.id, WebhookEndpoint.id, Integration.external_account, Integration.status, Integration.currency)
    .join(Integration, Integration.id == WebhookEndpoint.integration_id)
    .where(
        WebhookEndpoint.provider == bindparam("provider"),
        or_(
            WebhookEndpoint.token_hash == bindparam("hashed"),
            (WebhookEndpoint.previous_token_hash == bindparam("hashed"))
            & (WebhookEndpoint.previous_valid_until > bindparam("now")),
        ),
    )
)
_INSERT_EVENT: dict[str, Insert] = {}  # per dialect name
_COUNT = {
    accepted: update(WebhookEndpoint)
    .where(WebhookEndpoint.id == bindparam("endpoint_id"))
    .values({counter: counter + 1, WebhookEndpoint.last_delivery_at: bindparam("now")})
    for accepted, counter in (
        (True, WebhookEndpoint.deliveries_accepted),
        (False, WebhookEndpoint.deliveries_duplicate),
    )
}


def receiver_row(
    session: Session, provider: str, hashed: str, now: datetime
) -> Row[int, int, str, str, str | None] | None:
    """(integration id, endpoint id, shop, integration status, currency) of the endpoint whose current secret,
    or previous one still within its grace period, hashes to `hashed`."""
    return session.execute(_RECEIVER, {"provider": provider, "hashed": hashed, "now": now}).first()


def insert_event(uow: UnitOfWork, values: Mapping[str, Any]) -> int | None:
    """Store one delivery; None when the integration already has this provider event id."""
    statement = _INSERT_EVENT.get(uow.dialect.name)
    if statement is None:
        statement = uow.dialect.insert_ignoring_duplicates(WebhookEvent).returning(WebhookEvent.id)
        _INSERT_EVENT[uow.dialect.name] = statement
    inserted: int | None = uow.session.scalar(statement, dict(values))
    return inserted


def count_delivery(session: Session, endpoint_id: int, accepted: bool, now: datetime) -> None:
    session.execute(_COUNT[accepted], {"endpoint_id": endpoint_id, "now": now})


def claim_pending(session: Session, limit: int, after_id: int) -> list[WebhookEvent]:
    """The oldest pending events after `after_id` that no other worker holds, locked until this unit ends."""
    return list(
        session.scalars(
            select(WebhookEvent)
            .where(WebhookEvent.state == "pending", WebhookEvent.id > after_id)
            .order_by(WebhookEvent.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def lock_pending(session: Session, event_id: int) -> WebhookEvent | None:
    """One event if it is still pending, locked (waits for a worker holding it, then sees its outcome)."""
    return session.scalar(
        select(WebhookEvent)
        .where(WebhookEvent.id == event_id, WebhookEvent.state == "pending")
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def record_outcomes(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Bulk UPDATE of events by primary key (`id`, `state`, `outcome`, `applied_at`, `attempts`)."""
    if rows:
        session.execute(update(WebhookEvent), list(rows))


def stock_times(
    session: Session, integration_id: int, inventory_item_ids: Sequence[str], locations: Sequence[str]
) -> dict[StockKey, datetime]:
    """POS change time of each stored level among these items × locations."""
    if not inventory_item_ids or not locations:
        return {}
    rows = session.execute(
        select(PosStock.inventory_item_id, PosStock.location_external_id, PosStock.pos_updated_at).where(
            PosStock.integration_id == integration_id,
            PosStock.inventory_item_id.in_(sorted(set(inventory_item_ids))),
            PosStock.location_external_id.in_(sorted(set(locations))),
        )
    )
    return {(item, location): at for item, location, at in rows}


def upsert_stock_keys(uow: UnitOfWork, integration_id: int, rows: Sequence[Mapping[str, Any]]) -> set[StockKey]:
    """Stage quantities (at most one row per key) with `pos_staging`'s guarded upsert — a level lands only when
    it is at least as new as the stored one — and return the keys that landed."""
    if not rows:
        return set()
    values = [{**row, "integration_id": integration_id, "last_seen_job_id": None} for row in rows]
    statement = stock_upsert(uow, seen_by_job=False).returning(
        PosStock.inventory_item_id, PosStock.location_external_id
    )
    return {(item, location) for item, location in uow.session.execute(statement, values)}


def item_ids_by_inventory_item(
    session: Session, integration_id: int, inventory_item_ids: Sequence[str]
) -> dict[str, list[int]]:
    """Staged item ids per POS inventory item id (a variant's stock is keyed by its inventory item)."""
    if not inventory_item_ids:
        return {}
    found: dict[str, list[int]] = {}
    rows = session.execute(
        select(PosItem.inventory_item_id, PosItem.id)
        .where(PosItem.integration_id == integration_id, PosItem.inventory_item_id.in_(sorted(set(inventory_item_ids))))
        .order_by(PosItem.id)
    )
    for inventory_item_id, item_id in rows:
        if inventory_item_id is not None:
            found.setdefault(inventory_item_id, []).append(item_id)
    return found
