"""Stock movements reported by a POS (sales, returns, cancellations): recorded once, applied only when newer.

The POS stays the source of truth for quantities. A movement changes the staged level only when it happened
after the level's own POS time; otherwise that level (an absolute count read or delivered later) already
includes it. Either arrival order of "sale" and "new level" therefore ends at the POS's quantity, and a level
older than an applied movement is then refused by the staging guard. Every movement is kept in
``inventory_movements``, once per provider id (a redelivered order records and moves nothing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from localshelf.domain.ids import new_public_id
from localshelf.pos.contract import StockMoved
from localshelf.store import pos_staging as staging
from localshelf.store.db import UnitOfWork
from localshelf.store.models import Integration, InventoryMovement


@dataclass
class MovementTally:
    applied: int = 0
    already_counted: int = 0  # a level at least as new already includes it
    unresolved: int = 0  # unknown item, untracked stock, no location or no stored level
    duplicates: int = 0  # recorded before (a redelivery)
    touched: list[int] = field(default_factory=list)  # staged item ids whose offers must be rebuilt

    def summary(self) -> str:
        return (
            f"{self.applied} movements applied, {self.already_counted} already counted, "
            f"{self.unresolved} unresolved, {self.duplicates} already recorded"
        )


@dataclass
class _Resolved:
    move: StockMoved
    movement_id: int
    pos_item_id: int | None
    inventory_item_id: str | None
    note: str | None


def apply_movements(
    uow: UnitOfWork, integration: Integration, moves: Sequence[StockMoved], fallback_at: datetime, now: datetime
) -> MovementTally:
    """Record each new movement and apply it to the staged level when it is newer. ``fallback_at`` (the delivery's
    trigger time) dates a movement the provider did not date."""
    tally = MovementTally()
    fresh: list[_Resolved] = []
    for move in moves:
        resolved = _record(uow, integration, move, fallback_at, now)
        if resolved is None:
            tally.duplicates += 1
        else:
            fresh.append(resolved)
    # Lines of one event for the same item and place share one guarded change: applied one by one, the second
    # would find the level already at the first one's time and be taken as counted.
    groups: dict[tuple[str, str, datetime], list[_Resolved]] = {}
    for resolved in fresh:
        move = resolved.move
        if resolved.inventory_item_id is None or move.location_external_id is None:
            tally.unresolved += 1
            _finish(uow, resolved, applied=False, quantity=None, offer_id=None)
            continue
        key = (resolved.inventory_item_id, move.location_external_id, move.occurred_at or fallback_at)
        groups.setdefault(key, []).append(resolved)
    mapped = staging.mapped_locations(uow.session, integration.id)
    for (inventory_item_id, location, at), members in groups.items():
        delta = sum(member.move.delta for member in members)
        after = staging.move_stock(uow, integration.id, inventory_item_id, location, delta, at)
        applied = after is not None
        if applied:
            tally.applied += len(members)
            tally.touched += staging.item_ids_where(uow.session, integration.id, inventory_item_id=inventory_item_id)
        else:
            after = staging.stock_quantity(uow.session, integration.id, inventory_item_id, location)
            if after is None:
                tally.unresolved += len(members)
            else:
                tally.already_counted += len(members)
        for member in members:
            offer_id = _offer_id(uow, member.pos_item_id, mapped.get(location))
            note = member.note
            if after is None:
                note = "no stored level of this item at this POS location"
            elif not applied:
                note = "already included in a stored level at least as new"
            member.note = note
            _finish(uow, member, applied=applied, quantity=after, offer_id=offer_id)
    return tally


def _record(
    uow: UnitOfWork, integration: Integration, move: StockMoved, fallback_at: datetime, now: datetime
) -> _Resolved | None:
    """Insert the movement (not applied yet) and resolve its item; None when it was recorded before."""
    item = None
    if move.variant_external_id is not None:
        item = staging.item_by_external_id(uow.session, integration.id, move.variant_external_id)
    elif move.inventory_item_id is not None:
        ids = staging.item_ids_where(uow.session, integration.id, inventory_item_id=move.inventory_item_id)
        item = staging.items_by_id(uow.session, ids[:1])[0] if ids else None
    inventory_item_id = item.inventory_item_id if item is not None else move.inventory_item_id
    if item is None:
        note: str | None = "unknown item: not staged for this integration"
        inventory_item_id = None
    elif inventory_item_id is None:
        note = "the item's stock is not tracked"
    elif move.location_external_id is None:
        note = "no POS location given"
    else:
        note = None
    inserted = staging.record_movement(
        uow,
        {
            "public_id": new_public_id("movement"),
            "organization_id": integration.organization_id,
            "pos_item_id": item.id if item is not None else None,
            "location_external_id": move.location_external_id,
            "delta": move.delta,
            "reason": move.reason,
            "source": "pos",
            "external_id": move.external_id[:255],
            "occurred_at": move.occurred_at or fallback_at,
            "applied": False,
            "note": note,
            "created_at": now,
        },
    )
    if inserted is None:
        return None
    return _Resolved(move, inserted, item.id if item is not None else None, inventory_item_id, note)


def _offer_id(uow: UnitOfWork, pos_item_id: int | None, location_id: int | None) -> int | None:
    if pos_item_id is None or location_id is None:
        return None
    return staging.offer_id_of(uow.session, pos_item_id, location_id)


def _finish(uow: UnitOfWork, resolved: _Resolved, *, applied: bool, quantity: int | None, offer_id: int | None) -> None:
    movement = uow.session.get(InventoryMovement, resolved.movement_id)
    assert movement is not None
    movement.applied, movement.quantity_after, movement.offer_id = applied, quantity, offer_id
    movement.note = resolved.note
