"""SQL for stored webhook events and for applying them a batch at a time.

A batch is claimed with FOR UPDATE SKIP LOCKED inside the unit of work that applies it: a second worker skips
the rows another one holds, and a worker that dies mid-batch releases them (the transaction rolls back), so
the events stay pending until some worker applies them. SQLite has no row locks (the clause is left out): its
write units hold the database's write lock, which serialises workers anyway.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Insert, Row, Select, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from localshelf.store.db import UnitOfWork
from localshelf.store.models import Integration, PosItem, PosStock, WebhookEndpoint, WebhookEvent
from localshelf.store.pos_staging import stock_upsert

StockKey = tuple[str, str]  # (inventory item id, POS location id)

# Every delivery runs these: built once (SQLAlchemy then only looks their compiled form up), parameters bound.
_RECEIVER = (
    select(
        Integration.id.label("integration_id"),
        WebhookEndpoint.id.label("endpoint_id"),
        Integration.external_account.label("shop"),
        Integration.status,
        Integration.currency,
    )
    .join(Integration, Integration.id == WebhookEndpoint.integration_id)
    .where(
        WebhookEndpoint.provider == bindparam("for_provider"),
        or_(
            WebhookEndpoint.token_hash == bindparam("hashed"),
            (WebhookEndpoint.previous_token_hash == bindparam("hashed"))
            & (WebhookEndpoint.previous_valid_until > bindparam("now")),
        ),
    )
)
_INSERT_EVENT: dict[str, Insert] = {}  # per dialect name
# Only a re-delivery writes to its endpoint's row: the accepted ones are the stored events themselves
# (`delivery_stats`), so concurrent deliveries to one shop do not queue on that row's lock until each commits.
_DUPLICATE_COUNTED = update(WebhookEndpoint).values(
    {
        WebhookEndpoint.deliveries_duplicate: WebhookEndpoint.deliveries_duplicate + 1,
        WebhookEndpoint.last_delivery_at: bindparam("now"),
    }
)
_COUNT_DUPLICATE = _DUPLICATE_COUNTED.where(WebhookEndpoint.id == bindparam("endpoint_id"))


def receiver_row(
    session: Session, provider: str, hashed: str, now: datetime
) -> Row[int, int, str, str, str | None] | None:
    """(integration id, endpoint id, shop, integration status, currency) of the endpoint whose current secret,
    or previous one still within its grace period, hashes to `hashed`."""
    # The delivery statements run on the connection: the ORM's execution path (loading, identity map, bulk
    # DML bookkeeping) cost more than the statements themselves, and they load no objects.
    return session.connection().execute(_RECEIVER, {"for_provider": provider, "hashed": hashed, "now": now}).first()


_EVENT_COLUMNS = ("event_id", "topic", "payload", "triggered_at", "received_at", "state", "attempts")


def _store_in_one_statement() -> Select[Any]:
    """PostgreSQL: the receiver look-up, the deduplicating insert and, for a re-delivery, the endpoint's duplicate
    count as one statement (data-modifying CTEs): one round trip instead of three. It returns the receiver (no
    row: unknown URL) and the stored event's id (NULL: not stored)."""
    receiver = _RECEIVER.cte("receiver")
    admitted = (
        select(receiver.c.integration_id, receiver.c.endpoint_id)
        .where(
            receiver.c.shop == bindparam("shop"),
            receiver.c.status == "connected",
            bindparam("subscribed", type_=Boolean),
        )
        .cte("admitted")
    )
    table = WebhookEvent.__table__.c
    values = [bindparam(name, type_=table[name].type) for name in _EVENT_COLUMNS]
    inserted = (
        postgresql.insert(WebhookEvent)
        .from_select(["integration_id", *_EVENT_COLUMNS], select(admitted.c.integration_id, *values))
        .on_conflict_do_nothing()
        .returning(WebhookEvent.id)
        .cte("inserted")
    )
    duplicate = (
        _DUPLICATE_COUNTED.where(WebhookEndpoint.id == admitted.c.endpoint_id, ~select(inserted.c.id).exists())
        .returning(WebhookEndpoint.id)
        .cte("duplicate")
    )
    # Every data-modifying CTE runs to completion once; selecting from `duplicate` also makes SQLAlchemy render it.
    return select(
        *receiver.c,
        select(inserted.c.id).scalar_subquery().label("inserted_id"),
        select(func.count()).select_from(duplicate).scalar_subquery().label("duplicates"),
    )


_STORE_IN_ONE_STATEMENT = _store_in_one_statement()


@dataclass(frozen=True)
class StoredDelivery:
    found: bool  # an endpoint has this URL
    shop: str | None
    status: str | None  # the integration's
    inserted_id: int | None  # None: nothing was inserted


def store_delivery(
    uow: UnitOfWork, provider: str, hashed: str, shop: str | None, subscribed: bool, values: Mapping[str, Any]
) -> StoredDelivery:
    """Find the endpoint whose secret hashes to `hashed` and, when it belongs to `shop`, its integration is
    connected and the topic `subscribed`, insert the event (`values`: the webhook_events columns but the
    integration) unless the integration already has its event id — then count a re-delivery on the endpoint."""
    now = values["received_at"]
    if uow.dialect.name == "postgresql":
        # (no parameter may be named like a webhook_endpoints column: the UPDATE would take it as a new value)
        params = {"for_provider": provider, "hashed": hashed, "now": now, "shop": shop, "subscribed": subscribed}
        row = uow.session.connection().execute(_STORE_IN_ONE_STATEMENT, {**params, **values}).first()
        if row is None:
            return StoredDelivery(False, None, None, None)
        return StoredDelivery(True, row.shop, row.status, row.inserted_id)
    receiver = receiver_row(uow.session, provider, hashed, now)
    if receiver is None:
        return StoredDelivery(False, None, None, None)
    if receiver.shop != shop or receiver.status != "connected" or not subscribed:
        return StoredDelivery(True, receiver.shop, receiver.status, None)
    inserted = insert_event(uow, {**values, "integration_id": receiver.integration_id})
    count_delivery(uow.session, receiver.endpoint_id, inserted is not None, now)
    return StoredDelivery(True, receiver.shop, receiver.status, inserted)


def insert_event(uow: UnitOfWork, values: Mapping[str, Any]) -> int | None:
    """Store one delivery; None when the integration already has this provider event id."""
    statement = _INSERT_EVENT.get(uow.dialect.name)
    if statement is None:
        statement = uow.dialect.insert_ignoring_duplicates(WebhookEvent).returning(WebhookEvent.id)
        _INSERT_EVENT[uow.dialect.name] = statement
    inserted: int | None = uow.session.connection().execute(statement, dict(values)).scalar()
    return inserted


def count_delivery(session: Session, endpoint_id: int, accepted: bool, now: datetime) -> None:
    """Count a re-delivery on its endpoint (an accepted delivery is counted by its stored event)."""
    if not accepted:
        session.connection().execute(_COUNT_DUPLICATE, {"endpoint_id": endpoint_id, "now": now})


def delivery_stats(session: Session, integration_ids: Sequence[int]) -> dict[int, tuple[int, datetime | None]]:
    """(deliveries accepted, when the newest was received) per integration: its stored events (none is ever
    deleted, and every one was stored through the integration's endpoint)."""
    if not integration_ids:
        return {}
    rows = session.execute(
        select(WebhookEvent.integration_id, func.count(), func.max(WebhookEvent.received_at))
        .where(WebhookEvent.integration_id.in_(sorted(set(integration_ids))))
        .group_by(WebhookEvent.integration_id)
    )
    return {integration_id: (count, newest) for integration_id, count, newest in rows}


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


_RECORD_OUTCOME = update(WebhookEvent).where(WebhookEvent.id == bindparam("event_pk"))


def record_outcomes(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """UPDATE of events by primary key (`id`, `state`, `outcome`, `applied_at`, `attempts`), one executemany on
    the connection (the ORM's bulk UPDATE cost more than the statements)."""
    if rows:
        session.flush()  # Core statements do not autoflush
        params = [{"event_pk": row["id"], **{k: v for k, v in row.items() if k != "id"}} for row in rows]
        session.connection().execute(_RECORD_OUTCOME, params)


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
