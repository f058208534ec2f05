"""Shopify orders/create and refunds/create move POS stock, end to end: the fake sells or refunds (its own levels
move too: the ground truth), signs and POSTs the webhook into the real route, the worker applies it, and the offers
are compared with the fake's truth on both backends. A sale must never be counted twice against the
inventory_levels/update Shopify sends for the same sale, whichever arrives first.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import func, select

from localshelf.fakes.shopify import Order, Variant, gid, inventory_level_payload, order_payload, refund_payload
from localshelf.fakes.shopify.webhooks import sign_webhook
from localshelf.store.db import Database
from localshelf.store.models import InventoryMovement
from tests.conftest import table_rows
from tests.integration import test_shopify_webhooks
from tests.integration.shopify_harness import Connected, expected_offers, stored_offers
from tests.integration.test_shopify_webhooks import (
    Hooks,
    barcoded_products,
    event_count,
    event_states,
    first_location,
    first_sync,
)

pytestmark = pytest.mark.anyio
hooks, shop = test_shopify_webhooks.hooks, test_shopify_webhooks.shop  # that module's fixtures, reused

START = 20  # every sold item's level at the first location before the first sync


def quantity(hooks: Hooks, variant: Variant, location: int) -> int:
    """The offer's quantity of `variant` at the store mapped to POS `location`."""
    store = hooks.shop.stores[gid("Location", location)]
    found = [offer[4] for offer in stored_offers(hooks.database) if offer[0] == variant.sku and offer[1] == store]
    assert len(found) == 1, found
    return int(found[0])


def movements(database: Database) -> list[dict[str, Any]]:
    with database.session() as session:
        rows = session.scalars(select(InventoryMovement).order_by(InventoryMovement.id)).all()
        return [
            {
                "external_id": row.external_id,
                "delta": row.delta,
                "reason": row.reason,
                "source": row.source,
                "applied": row.applied,
                "quantity_after": row.quantity_after,
                "has_offer": row.offer_id is not None,
                "has_item": row.pos_item_id is not None,
                "location": row.location_external_id,
            }
            for row in rows
        ]


def movement_count(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(InventoryMovement)) or 0)


async def synced(hooks: Hooks, count: int = 2) -> list[Variant]:
    """The first sync, with `count` barcoded variants stocked START at the first location."""
    shop: Connected = hooks.shop
    variants = [product.variants[0] for product in barcoded_products(shop)[:count]]
    for variant in variants:
        shop.state.set_available(shop.shop, variant.inventory_item_id, first_location(shop), START)
    async with shop.client() as client:
        await first_sync(client, shop)
    for variant in variants:
        assert quantity(hooks, variant, first_location(shop)) == START
    return variants


def later(seconds: float) -> float:
    """A POS time clearly after the first sync (webhook timestamps have whole seconds)."""
    return time.time() + seconds


def line_of(order: Order, variant: Variant) -> int:
    return next(line.id for line in order.line_items if line.variant_id == variant.id)


async def test_a_pos_sale_decrements_the_offer_and_is_recorded(hooks: Hooks) -> None:
    """orders/create of a POS sale: the offer drops by the quantity sold; one applied movement per line."""
    shop = hooks.shop
    one, two = await synced(hooks)
    location = first_location(shop)
    order = shop.state.sell(shop.shop, location, [(one, 3), (two, 1)], at=later(60))

    assert await hooks.emit("orders/create", order_payload(order, shop.shop)) == {"outcome": "accepted"}
    assert await hooks.apply() == 1

    assert (quantity(hooks, one, location), quantity(hooks, two, location)) == (START - 3, START - 1)
    assert stored_offers(hooks.database) == expected_offers(shop)
    assert event_states(hooks.database)[hooks.last_event_id()] == ("orders/create", "applied")
    assert movements(hooks.database) == [
        {
            "external_id": f"shopify:order:{order.id}:{line_of(order, variant)}",
            "delta": -sold,
            "reason": "sale",
            "source": "pos",
            "applied": True,
            "quantity_after": START - sold,
            "has_offer": True,
            "has_item": True,
            "location": gid("Location", location),
        }
        for variant, sold in ((one, 3), (two, 1))
    ]


async def test_two_lines_of_one_order_for_the_same_item_both_count(hooks: Hooks) -> None:
    """Two lines selling the same variant in one order move the stock by their sum, not by the first only."""
    shop = hooks.shop
    (variant,) = await synced(hooks, count=1)
    location = first_location(shop)
    order = shop.state.sell(shop.shop, location, [(variant, 2), (variant, 5)], at=later(60))
    assert await hooks.emit("orders/create", order_payload(order, shop.shop)) == {"outcome": "accepted"}
    assert await hooks.apply() == 1
    assert quantity(hooks, variant, location) == START - 7
    assert stored_offers(hooks.database) == expected_offers(shop)
    assert [(m["delta"], m["applied"], m["quantity_after"]) for m in movements(hooks.database)] == [
        (-2, True, START - 7),
        (-5, True, START - 7),
    ]


async def test_a_refund_restocks_returned_lines_only(hooks: Hooks) -> None:
    """refunds/create: a "return" line comes back into stock; a "no_restock" line moves nothing."""
    shop = hooks.shop
    one, two = await synced(hooks)
    location = first_location(shop)
    order = shop.state.sell(shop.shop, location, [(one, 4), (two, 2)], at=later(60))
    assert await hooks.emit("orders/create", order_payload(order, shop.shop)) == {"outcome": "accepted"}
    assert await hooks.apply() == 1
    first, second = order.line_items
    refund = shop.state.refund(shop.shop, order, [(first, 3, "return"), (second, 1, "no_restock")], at=later(120))

    assert await hooks.emit("refunds/create", refund_payload(refund)) == {"outcome": "accepted"}
    assert await hooks.apply() == 1

    assert (quantity(hooks, one, location), quantity(hooks, two, location)) == (START - 4 + 3, START - 2)
    assert stored_offers(hooks.database) == expected_offers(shop)
    returned = [m for m in movements(hooks.database) if m["external_id"].startswith("shopify:refund:")]
    assert returned == [
        {
            "external_id": f"shopify:refund:{refund.id}:{refund.lines[0].id}",
            "delta": 3,
            "reason": "return",
            "source": "pos",
            "applied": True,
            "quantity_after": START - 1,
            "has_offer": True,
            "has_item": True,
            "location": gid("Location", location),
        }
    ]


async def test_a_redelivered_order_changes_nothing(hooks: Hooks) -> None:
    """The same delivery again is a duplicate; the same order under a new event id records and moves nothing."""
    shop = hooks.shop
    (variant,) = await synced(hooks, count=1)
    location = first_location(shop)
    order = shop.state.sell(shop.shop, location, [(variant, 3)], at=later(60))
    payload = order_payload(order, shop.shop)
    assert await hooks.emit("orders/create", payload) == {"outcome": "accepted"}
    assert await hooks.apply() == 1
    after_first = stored_offers(hooks.database)
    recorded = movements(hooks.database)

    again = await shop.fake.webhooks.redeliver(hooks.web, shop.fake.webhooks.deliveries[-1])
    assert (again.status_code, again.json()) == (200, {"outcome": "duplicate"})
    assert await hooks.emit("orders/create", payload) == {"outcome": "accepted"}  # a new event id, same order
    assert await hooks.apply() == 1

    assert event_states(hooks.database)[hooks.last_event_id()] == ("orders/create", "ignored")
    assert stored_offers(hooks.database) == after_first == expected_offers(shop)
    assert quantity(hooks, variant, location) == START - 3
    assert movements(hooks.database) == recorded and len(recorded) == 1


async def test_an_order_after_the_level_update_of_the_same_sale_is_not_counted_twice(hooks: Hooks) -> None:
    """The sale's inventory_levels/update lands first; the order then finds the level already includes it."""
    shop = hooks.shop
    (variant,) = await synced(hooks, count=1)
    location = first_location(shop)
    order = shop.state.sell(shop.shop, location, [(variant, 3)], at=later(60))
    level = inventory_level_payload(shop.shop, variant.inventory_item_id, location)
    assert level["available"] == START - 3

    assert await hooks.emit("inventory_levels/update", level) == {"outcome": "accepted"}
    assert await hooks.apply() == 1
    assert quantity(hooks, variant, location) == START - 3
    assert await hooks.emit("orders/create", order_payload(order, shop.shop)) == {"outcome": "accepted"}
    assert await hooks.apply() == 1

    assert quantity(hooks, variant, location) == START - 3
    assert stored_offers(hooks.database) == expected_offers(shop)
    assert event_states(hooks.database)[hooks.last_event_id()] == ("orders/create", "ignored")
    (movement,) = movements(hooks.database)
    assert (movement["applied"], movement["quantity_after"], movement["has_offer"]) == (False, START - 3, True)


async def test_an_order_before_its_level_update_ends_at_the_level(hooks: Hooks) -> None:
    """The order applies first; a level older than it (from before the sale) is ignored, the sale's own level lands
    and changes nothing, and a later count by the POS wins."""
    shop = hooks.shop
    (variant,) = await synced(hooks, count=1)
    location = first_location(shop)
    stale = inventory_level_payload(shop.shop, variant.inventory_item_id, location)  # before the sale
    stale["updated_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(later(30)))
    order = shop.state.sell(shop.shop, location, [(variant, 3)], at=later(60))
    sale_level = inventory_level_payload(shop.shop, variant.inventory_item_id, location)

    assert await hooks.emit("orders/create", order_payload(order, shop.shop)) == {"outcome": "accepted"}
    assert await hooks.apply() == 1
    assert quantity(hooks, variant, location) == START - 3
    assert await hooks.emit("inventory_levels/update", stale) == {"outcome": "accepted"}
    stale_id = hooks.last_event_id()
    assert await hooks.emit("inventory_levels/update", sale_level) == {"outcome": "accepted"}
    assert await hooks.apply() == 2

    assert event_states(hooks.database)[stale_id] == ("inventory_levels/update", "ignored")
    assert quantity(hooks, variant, location) == START - 3
    assert stored_offers(hooks.database) == expected_offers(shop)

    shop.state.set_available(shop.shop, variant.inventory_item_id, location, 9)  # a recount, now
    shop.shop.level_updated[(variant.inventory_item_id, location)] = later(90)
    recount = inventory_level_payload(shop.shop, variant.inventory_item_id, location)
    assert await hooks.emit("inventory_levels/update", recount) == {"outcome": "accepted"}
    assert await hooks.apply() == 1
    assert quantity(hooks, variant, location) == 9
    assert stored_offers(hooks.database) == expected_offers(shop)


async def test_unknown_variants_and_online_orders_are_recorded_not_applied(hooks: Hooks) -> None:
    """A line of a variant the integration never staged, and an online order (no location), move no stock."""
    shop = hooks.shop
    (variant,) = await synced(hooks, count=1)
    location = first_location(shop)
    newcomer = shop.state.add_product(shop.shop, "Brand New Thing", variants=[("NEW-1", "4006381333931", "5.00")])
    shop.state.set_available(shop.shop, newcomer.variants[0].inventory_item_id, location, START)
    before = stored_offers(hooks.database)
    sale = shop.state.sell(shop.shop, location, [(newcomer.variants[0], 1)], at=later(60))
    online = shop.state.sell(shop.shop, None, [(variant, 2)], at=later(60))
    assert await hooks.emit("orders/create", order_payload(sale, shop.shop)) == {"outcome": "accepted"}
    assert await hooks.emit("orders/create", order_payload(online, shop.shop)) == {"outcome": "accepted"}
    assert await hooks.apply() == 2

    assert stored_offers(hooks.database) == before
    assert quantity(hooks, variant, location) == START
    assert {state for _topic, state in event_states(hooks.database).values()} == {"ignored"}
    assert [(m["applied"], m["has_item"], m["location"], m["quantity_after"]) for m in movements(hooks.database)] == [
        (False, False, gid("Location", location), None),
        (False, True, None, None),
    ]


async def test_an_order_with_a_bad_signature_stores_nothing(hooks: Hooks) -> None:
    """A forged orders/create is refused with 401 and writes nothing: no event, no movement, no stock change."""
    shop = hooks.shop
    (variant,) = await synced(hooks, count=1)
    order = shop.state.sell(shop.shop, first_location(shop), [(variant, 3)], at=later(60))
    body, headers = shop.fake.webhooks.build(shop.shop, "orders/create", order_payload(order, shop.shop))
    before = table_rows(hooks.database)

    forged = {**headers, "X-Shopify-Hmac-Sha256": sign_webhook("not-the-app-secret", body)}
    refused = await hooks.web.post(hooks.url(), content=body, headers=forged)

    assert (refused.status_code, refused.json()) == (401, {"outcome": "invalid signature"})
    assert table_rows(hooks.database) == before
    assert event_count(hooks.database) == 0 and movement_count(hooks.database) == 0
    assert quantity(hooks, variant, first_location(shop)) == START
