"""The worker applies stored webhook events a batch per unit of work: every event keeps its own outcome, the
newest level of an item wins whatever the order inside a batch, a poisonous event fails alone, and an event
is applied once even with two workers. Real deliveries into the real route, on both backends.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from localshelf.fakes.shopify import Variant, gid, inventory_level_payload
from localshelf.server.state import utcnow
from localshelf.services import webhook_batch
from localshelf.store import webhook_events as event_store
from localshelf.store.models import InStoreOffer, Location, WebhookEvent
from tests.integration import test_shopify_webhooks
from tests.integration.shopify_harness import expected_offers, stored_offers
from tests.integration.test_shopify_webhooks import (
    Hooks,
    barcoded_products,
    event_count,
    event_states,
    first_location,
    first_sync,
    rest_time,
    state_of,
)

pytestmark = pytest.mark.anyio
hooks, shop = test_shopify_webhooks.hooks, test_shopify_webhooks.shop  # that module's fixtures, reused

TOPIC = "inventory_levels/update"


def offer_quantity(hooks: Hooks, variant: Variant, location: int) -> int:
    store = hooks.shop.stores[gid("Location", location)]
    found = [offer[4] for offer in stored_offers(hooks.database) if offer[0] == variant.sku and offer[1] == store]
    assert len(found) == 1, found
    return int(found[0])


async def synced(hooks: Hooks) -> None:
    async with hooks.shop.client() as client:
        await first_sync(client, hooks.shop)


async def deliver_levels(hooks: Hooks, count: int) -> list[str]:
    """A new level for the first `count` barcoded items at the first location (the fake's truth follows)."""
    shop, location, ids = hooks.shop, first_location(hooks.shop), []
    for index, product in enumerate(barcoded_products(shop)[:count]):
        item = product.variants[0].inventory_item_id
        shop.state.set_available(shop.shop, item, location, 40 + index)
        assert await hooks.emit(TOPIC, inventory_level_payload(shop.shop, item, location)) == {"outcome": "accepted"}
        ids.append(hooks.last_event_id())
    return ids


async def test_a_batch_applies_every_event_with_its_own_outcome_in_one_pass(hooks: Hooks) -> None:
    await synced(hooks)
    ids = await deliver_levels(hooks, 6)

    assert await hooks.apply() == 6
    for event_id in ids:
        state, attempts, outcome = state_of(hooks.database, event_id)
        assert (state, attempts) == ("applied", 1)
        assert outcome is not None and "offers of 6 items rebuilt with 6 events" in outcome
    assert stored_offers(hooks.database) == expected_offers(hooks.shop)
    assert await hooks.apply() == 0


def sync_times(hooks: Hooks, variant: Variant) -> dict[int, datetime | None]:
    """POS location -> `last_inventory_sync` of the variant's offer at that location's store."""
    by_store = {store: int(pos.rsplit("/", 1)[1]) for pos, store in hooks.shop.stores.items()}
    with hooks.database.session() as session:
        rows = session.execute(
            select(Location.public_id, InStoreOffer.last_inventory_sync)
            .join(Location, Location.id == InStoreOffer.location_id)
            .where(InStoreOffer.sku == variant.sku)
        )
        return {by_store[store]: synced_at for store, synced_at in rows}


@pytest.mark.parametrize("quantity_changes", [True, False], ids=["new-quantity", "same-quantity"])
async def test_a_level_confirms_the_stock_of_its_own_store_only(hooks: Hooks, quantity_changes: bool) -> None:
    """A webhook reports one store's level: that offer's stock is confirmed now (its freshness in search), changed
    or not; the item's offers at the other stores keep the time their stock was last confirmed."""
    await synced(hooks)
    shop, location = hooks.shop, first_location(hooks.shop)
    variant = barcoded_products(shop)[0].variants[0]
    before = sync_times(hooks, variant)
    assert len(before) >= 2 and None not in before.values()
    current = shop.shop.levels[(variant.inventory_item_id, location)]
    shop.state.set_available(
        shop.shop, variant.inventory_item_id, location, current + 7 if quantity_changes else current
    )
    payload = inventory_level_payload(shop.shop, variant.inventory_item_id, location)
    assert await hooks.emit(TOPIC, payload) == {"outcome": "accepted"}

    assert await hooks.apply() == 1
    after = sync_times(hooks, variant)
    assert after[location] is not None and before[location] is not None and after[location] > before[location]
    assert {loc: at for loc, at in after.items() if loc != location} == {
        loc: at for loc, at in before.items() if loc != location
    }
    assert stored_offers(hooks.database) == expected_offers(hooks.shop)


@pytest.mark.parametrize("newest_first", [True, False], ids=["newest-first", "newest-last"])
async def test_of_two_levels_for_one_item_in_a_batch_the_newest_wins_whatever_the_order(
    hooks: Hooks, newest_first: bool
) -> None:
    await synced(hooks)
    shop, location = hooks.shop, first_location(hooks.shop)
    variant = barcoded_products(shop)[0].variants[0]
    shop.state.set_available(shop.shop, variant.inventory_item_id, location, 17)  # the POS's final word
    base = inventory_level_payload(shop.shop, variant.inventory_item_id, location)
    now = datetime.now(UTC)
    newer = {**base, "available": 17, "updated_at": rest_time(now + timedelta(minutes=2))}
    older = {**base, "available": 2, "updated_at": rest_time(now + timedelta(minutes=1))}
    delivered: dict[str, str] = {}
    for name, payload in [("newer", newer), ("older", older)][:: 1 if newest_first else -1]:
        assert await hooks.emit(TOPIC, payload) == {"outcome": "accepted"}
        delivered[name] = hooks.last_event_id()

    assert await hooks.apply() == 2  # one pass, one batch

    states = event_states(hooks.database)
    assert states[delivered["newer"]] == (TOPIC, "applied")
    # Applied one by one, an older level that arrives first lands and is then overwritten; one that arrives
    # after the newer one is refused. The batch records the same outcomes.
    assert states[delivered["older"]] == (TOPIC, "ignored" if newest_first else "applied")
    if newest_first:
        assert state_of(hooks.database, delivered["older"])[2] == "older than the stored quantity"
    assert offer_quantity(hooks, variant, location) == 17
    assert stored_offers(hooks.database) == expected_offers(shop)


async def test_a_redelivery_and_a_resent_copy_in_one_batch_apply_once(hooks: Hooks) -> None:
    """A redelivery (same event id) is never stored twice; a copy under a new event id changes nothing more."""
    await synced(hooks)
    shop, location = hooks.shop, first_location(hooks.shop)
    variant = barcoded_products(shop)[0].variants[0]
    shop.state.set_available(shop.shop, variant.inventory_item_id, location, 9)
    payload = inventory_level_payload(shop.shop, variant.inventory_item_id, location)
    assert await hooks.emit(TOPIC, payload) == {"outcome": "accepted"}
    again = await shop.fake.webhooks.redeliver(hooks.web, shop.fake.webhooks.deliveries[-1])
    assert again.json() == {"outcome": "duplicate"}
    assert await hooks.emit(TOPIC, payload) == {"outcome": "accepted"}  # the same level, a new event id
    assert event_count(hooks.database) == 2

    assert await hooks.apply() == 2
    assert {state for _topic, state in event_states(hooks.database).values()} == {"applied"}
    assert offer_quantity(hooks, variant, location) == 9
    assert stored_offers(hooks.database) == expected_offers(shop)
    assert await hooks.apply() == 0


async def test_a_poisonous_event_fails_alone_and_the_rest_of_its_batch_is_applied(hooks: Hooks) -> None:
    """An event the database refuses (a quantity no integer column holds) makes its batch roll back; the worker
    then applies that batch one by one: the poison fails, the others are applied. A payload the parser refuses
    fails in the batch itself, with its reason."""
    await synced(hooks)
    shop, location = hooks.shop, first_location(hooks.shop)
    before = await deliver_levels(hooks, 2)
    poison_item = barcoded_products(shop)[5].variants[0].inventory_item_id
    poison = {**inventory_level_payload(shop.shop, poison_item, location), "available": 10**19}
    assert await hooks.emit(TOPIC, poison) == {"outcome": "accepted"}
    poison_id = hooks.last_event_id()
    malformed = {**inventory_level_payload(shop.shop, poison_item, location), "available": "many"}
    assert await hooks.emit(TOPIC, malformed) == {"outcome": "accepted"}
    malformed_id = hooks.last_event_id()
    products = barcoded_products(shop)
    after_id = []
    for product in products[2:4]:
        item = product.variants[0].inventory_item_id
        shop.state.set_available(shop.shop, item, location, 3)
        assert await hooks.emit(TOPIC, inventory_level_payload(shop.shop, item, location)) == {"outcome": "accepted"}
        after_id.append(hooks.last_event_id())

    assert await hooks.apply() == 6

    assert state_of(hooks.database, poison_id) == ("failed", 1, "internal error while applying")
    state, attempts, outcome = state_of(hooks.database, malformed_id)
    assert (state, attempts) == ("failed", 1) and outcome is not None and "non-integer" in outcome
    for event_id in before + after_id:
        assert state_of(hooks.database, event_id)[:2] == ("applied", 1)
    assert stored_offers(hooks.database) == expected_offers(shop)  # the poison's item kept its synced level
    assert await hooks.apply() == 0


async def test_events_another_worker_holds_are_skipped_and_left_pending(hooks: Hooks) -> None:
    """Two workers never apply one event: a batch skips the events another unit of work has claimed (PostgreSQL
    row locks; SQLite's write units never overlap), which stay pending until that unit ends."""
    if hooks.database.dialect != "postgresql":
        pytest.skip("SQLite write units hold the database's write lock: two never overlap")
    await synced(hooks)
    ids = await deliver_levels(hooks, 4)
    with hooks.database.session() as holder, holder.begin():
        held = event_store.claim_pending(holder, 2, 0)  # another worker's batch, still running
        assert [event.event_id for event in held] == ids[:2]
        other = hooks.database.transaction(webhook_batch.apply_batch, 100, 0, utcnow())
        assert sorted(other.states.values()) == ["applied", "applied"]
        assert set(other.states) == set(_pks(hooks, ids[2:]))
    states = event_states(hooks.database)
    assert [states[event_id][1] for event_id in ids] == ["pending", "pending", "applied", "applied"]
    assert await hooks.apply() == 2
    assert stored_offers(hooks.database) == expected_offers(hooks.shop)


def _pks(hooks: Hooks, event_ids: list[str]) -> list[Any]:
    with hooks.database.session() as session:
        return list(session.scalars(select(WebhookEvent.id).where(WebhookEvent.event_id.in_(event_ids))))
