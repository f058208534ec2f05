"""Apply stored webhook events a batch at a time: one unit of work, and one offer rebuild for the whole batch.

The outcome of every event is the one applying the events one by one, oldest first, would give. Events that
only report stock levels (the bulk of the traffic) are staged together: the stored levels' POS times are
read once, the batch's levels are run through the "at least as new" rule in arrival order in memory (so the
newest level of an item wins whatever the order, and each event learns whether its level counted), and only
each key's winning level is written, with the same guard in SQL. Any other event is staged on its own, in
order, after the stock staged before it. Offers are rebuilt once at the end for the union of touched items
(and before a stock movement is recorded, as it notes the offer it moved).

A batch that raises rolls back as a whole; the worker then applies its events one by one (`webhooks.apply_event`),
so a poisonous event fails alone. The claim (FOR UPDATE SKIP LOCKED) keeps two workers off the same events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from localshelf.pos.catalog import staged_stock
from localshelf.pos.contract import PosBadResponse, StockChanged
from localshelf.services import webhooks
from localshelf.services.materialize import BATCH as MATERIALIZE_BATCH
from localshelf.services.materialize import Tally, materialize
from localshelf.store import webhook_events as event_store
from localshelf.store.db import UnitOfWork
from localshelf.store.models import Integration, WebhookEvent
from localshelf.store.webhook_events import StockKey

OLDER = "older than the stored quantity"


@dataclass(frozen=True)
class BatchResult:
    last_id: int | None  # the newest event looked at; None when there was nothing to claim
    states: dict[int, str]  # event id -> state after the batch

    @property
    def done(self) -> int:
        """Events that reached an end state."""
        return sum(state != "pending" for state in self.states.values())


@dataclass
class _Level:
    event: WebhookEvent
    row: dict[str, Any]

    @property
    def key(self) -> StockKey:
        return self.row["inventory_item_id"], self.row["location_external_id"]


@dataclass
class _Rebuild:
    """Items of one integration whose offers must be rebuilt, and the events waiting for that."""

    integration: Integration
    items: set[int] = field(default_factory=set)
    events: dict[int, str] = field(default_factory=dict)  # event id -> its own outcome so far
    # (item id, POS location) levels the events reported; None once an event other than a stock level came
    confirmed: set[tuple[int, str]] | None = field(default_factory=set)


class _Batch:
    def __init__(self, uow: UnitOfWork, now: datetime) -> None:
        self.uow, self.now = uow, now
        self.decided: dict[int, tuple[str, str]] = {}  # event id -> (state, outcome)
        self.levels: list[_Level] = []  # stock-only events' levels not staged yet, oldest first
        self.rebuilds: dict[int, _Rebuild] = {}  # by integration id

    def add(self, event: WebhookEvent, integration: Integration) -> None:
        levels = _stock_levels(integration, event)
        if levels is not None:
            self.levels += [_Level(event, level) for level in levels]
            return
        self.stage_stock()  # whatever this event does comes after the levels delivered before it
        staged = webhooks.stage_event(
            self.uow, integration, event, self.now, before_movements=partial(self.rebuild, integration.id)
        )
        self.decide(event, integration, staged)

    def decide(
        self,
        event: WebhookEvent,
        integration: Integration,
        staged: webhooks.Staged,
        levels: set[tuple[int, str]] | None = None,
    ) -> None:
        """`levels`: the (item id, POS location) stock levels the event reported; None for any other event."""
        if staged.state != "staged":
            self.decided[event.id] = (staged.state, staged.outcome)
            return
        rebuild = self.rebuilds.setdefault(integration.id, _Rebuild(integration))
        rebuild.items.update(staged.touched)
        rebuild.events[event.id] = staged.outcome
        if levels is None or rebuild.confirmed is None:
            rebuild.confirmed = None
        else:
            rebuild.confirmed |= levels

    def stage_stock(self) -> None:
        by_integration: dict[int, list[_Level]] = {}
        for level in self.levels:
            by_integration.setdefault(level.event.integration_id, []).append(level)
        self.levels = []
        for integration_id, levels in by_integration.items():
            self._stage_levels(integration_id, levels)

    def _stage_levels(self, integration_id: int, levels: list[_Level]) -> None:
        session = self.uow.session
        stored = event_store.stock_times(
            session, integration_id, [level.key[0] for level in levels], [level.key[1] for level in levels]
        )
        newest: dict[StockKey, _Level] = {}
        counted: list[int] = []  # positions of the levels that land when applied one by one, in order
        for position, level in enumerate(levels):
            current = stored.get(level.key)
            if current is None or level.row["pos_updated_at"] >= current:
                stored[level.key] = level.row["pos_updated_at"]
                newest[level.key] = level
                counted.append(position)
        rows = [newest[key].row for key in sorted(newest)]  # in key order, as concurrent writers lock rows
        written = event_store.upsert_stock_keys(self.uow, integration_id, rows)
        items = event_store.item_ids_by_inventory_item(session, integration_id, [key[0] for key in written])
        # A level that counted but whose key was not written lost to a newer level another unit stored meanwhile.
        landed = {position for position in counted if levels[position].key in written}
        touched: dict[int, list[int]] = {}
        reported: dict[int, set[tuple[int, str]]] = {}
        outcomes: dict[int, list[str]] = {}
        for position, level in enumerate(levels):  # per level, as the one-by-one path records them
            if position in landed:
                item_ids = items.get(level.key[0], [])
                touched.setdefault(level.event.id, []).extend(item_ids)
                reported.setdefault(level.event.id, set()).update((item, level.key[1]) for item in item_ids)
            else:
                outcomes.setdefault(level.event.id, []).append(OLDER)
        integration = self.uow.session.get(Integration, integration_id)
        assert integration is not None
        for event in {level.event.id: level.event for level in levels}.values():
            if touched.get(event.id):
                staged = webhooks.Staged("staged", "", touched[event.id])
            else:
                staged = webhooks.Staged("ignored", "; ".join(outcomes.get(event.id, [])) or "nothing to change")
            self.decide(event, integration, staged, reported.get(event.id, set()))

    def rebuild(self, integration_id: int) -> None:
        """Rebuild the offers of the items this integration's events touched so far; those events are applied."""
        rebuild = self.rebuilds.pop(integration_id, None)
        if rebuild is None:
            return
        integration, tally, ids = rebuild.integration, Tally(), sorted(rebuild.items)
        for start in range(0, len(ids), MATERIALIZE_BATCH):
            chunk = ids[start : start + MATERIALIZE_BATCH]
            tally.add(
                materialize(self.uow, integration.organization_id, integration.id, chunk, self.now, rebuild.confirmed)
            )
        done = (
            f"offers of {len(ids)} items rebuilt with {len(rebuild.events)} events: "
            f"{tally.created} created, {tally.updated} updated, {tally.removed} removed"
        )
        for event_id, own in rebuild.events.items():
            self.decided[event_id] = ("applied", f"{own}; {done}" if own else done)

    def finish(self, events: list[WebhookEvent]) -> BatchResult:
        self.stage_stock()
        for integration_id in sorted(self.rebuilds):  # the same lock order in every batch (materialize locks)
            self.rebuild(integration_id)
        outcomes = []
        for event in events:
            state, outcome = self.decided[event.id]
            if state != "pending":  # a waiting event stays pending and counts no attempt
                outcomes.append(
                    {
                        "id": event.id,
                        "state": state,
                        "outcome": outcome[:300],
                        "applied_at": self.now,
                        "attempts": event.attempts + 1,
                    }
                )
        event_store.record_outcomes(self.uow.session, outcomes)
        return BatchResult(events[-1].id if events else None, {e.id: self.decided[e.id][0] for e in events})


def _stock_levels(integration: Integration, event: WebhookEvent) -> list[dict[str, Any]] | None:
    """The staged levels of an event that only reports stock levels and can apply now; None for any other."""
    if integration.status != "connected" or integration.currency is None or event.topic == "app/uninstalled":
        return None
    try:
        parsed = webhooks.parse_events(
            integration.provider,
            event.topic,
            event.payload.encode(),
            integration.currency,
            integration.prices_include_tax,
        )
    except PosBadResponse:
        return None  # recorded as failed by the general path
    if not parsed or not all(isinstance(change, StockChanged) for change in parsed):
        return None
    return [staged_stock(change.stock, event.triggered_at) for change in parsed if isinstance(change, StockChanged)]


def apply_batch(uow: UnitOfWork, limit: int, after_id: int, now: datetime) -> BatchResult:
    """Claim up to `limit` pending events after `after_id` (oldest first, skipping ones another worker holds)
    and apply them; every event's outcome is recorded in this unit of work."""
    events = event_store.claim_pending(uow.session, limit, after_id)
    batch = _Batch(uow, now)
    for event in events:
        integration = uow.session.get(Integration, event.integration_id)
        assert integration is not None
        batch.add(event, integration)
    return batch.finish(events)
