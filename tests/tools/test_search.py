"""search_local_products: what matches, in which order, and what each result says.

Stores sit around downtown Portland, OR; positions are placed at exact geodesic
distances with geographiclib, independently of the server's own distance code.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from mcp import Client

from localshelf.domain import ranking
from localshelf.store.db import Database
from tests.builders import EAST, NORTH, SOUTH, WEST, client_at, new_offer, new_product, new_retailer, new_store, toward
from tests.conftest import FIXED_NOW, call

pytestmark = pytest.mark.anyio

ORIGIN = (45.5200, -122.6800)  # the shopper, downtown Portland


async def search(client: Client, query: str, at: tuple[float, float] = ORIGIN, **options: Any) -> dict[str, Any]:
    return await call(client, "search_local_products", query=query, latitude=at[0], longitude=at[1], **options)


def offer_ids(found: dict[str, Any]) -> list[str]:
    return [hit["offer_id"] for hit in found["results"]]


def product_names(found: dict[str, Any]) -> list[str]:
    return [hit["product"]["name"] for hit in found["results"]]


@pytest.fixture
async def retailer(client: Client) -> str:
    return await new_retailer(client)


@pytest.fixture
async def store(client: Client, retailer: str) -> str:
    """One store 1 km north of the shopper."""
    return await new_store(client, retailer, "Alder Pearl District", toward(ORIGIN, NORTH, 1.0))


# --- what a result says --------------------------------------------------------------------------------------


async def test_a_result_carries_the_product_the_store_and_the_offer(client: Client, retailer: str) -> None:
    location_id = await new_store(
        client,
        retailer,
        "Alder Pearl District",
        toward(ORIGIN, NORTH, 1.0),
        address_line1="1120 NW Couch St",
        region="OR",
        postal_code="97209",
        phone="+15035550123",
    )
    drill = await new_product(client, "DeWalt 20V Cordless Drill", brand="DeWalt", category="Tools > Power Tools")
    offer = await new_offer(client, retailer, location_id, drill, quantity=7, price_minor=12999)

    found = await search(client, "cordless drill")

    assert found["query"] == "cordless drill"
    assert found["terms"] == ["cordless", "drill"]
    assert found["corrections"] == []
    assert found["radius_km"] == 5.0
    [hit] = found["results"]
    assert hit["rank"] == 1
    assert hit["offer_id"] == offer["id"]
    assert hit["product"] == {
        "id": drill["id"],
        "gtin": drill["gtin"],
        "name": "DeWalt 20V Cordless Drill",
        "brand": "DeWalt",
    }
    store = dict(hit["store"])
    assert store.pop("distance_km") == pytest.approx(1.0, abs=0.001)
    assert store == {
        "location_id": location_id,
        "organization_id": retailer,
        "name": "Alder Pearl District",
        "address": {
            "line1": "1120 NW Couch St",
            "line2": None,
            "city": "Portland",
            "region": "OR",
            "postal_code": "97209",
            "country": "US",
        },
        "latitude": pytest.approx(toward(ORIGIN, NORTH, 1.0)[0]),
        "longitude": pytest.approx(toward(ORIGIN, NORTH, 1.0)[1]),
        "phone": "+15035550123",
    }
    assert hit["price"] == {"amount_minor": 12999, "currency": "USD", "amount": "129.99"}
    assert hit["quantity_on_hand"] == 7
    assert hit["status"] == "in_stock"
    assert hit["confidence"] == "confirmed"
    assert datetime.fromisoformat(hit["last_inventory_sync"]) == FIXED_NOW


async def test_results_are_ranked_one_to_n_best_score_first(client: Client, retailer: str) -> None:
    drill = await new_product(client, "Ryobi Cordless Drill")
    for km in (2.5, 0.5, 4.0, 1.5):
        location_id = await new_store(client, retailer, f"Alder {km} km", toward(ORIGIN, EAST, km))
        await new_offer(client, retailer, location_id, drill)

    found = await search(client, "drill")

    assert [hit["rank"] for hit in found["results"]] == [1, 2, 3, 4]
    scores = [hit["score"] for hit in found["results"]]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == 4


# --- relevance -----------------------------------------------------------------------------------------------


async def test_a_product_named_for_the_query_outranks_one_that_only_matches_by_category(
    client: Client, retailer: str, store: str
) -> None:
    kit = await new_product(client, "Ryobi ONE+ 18V Kit", category="Power Tools > Cordless Drills")
    drill = await new_product(client, "Ryobi Cordless Drill", category="Power Tools")
    by_category = await new_offer(client, retailer, store, kit)
    by_name = await new_offer(client, retailer, store, drill)

    found = await search(client, "cordless drill")

    assert offer_ids(found) == [by_name["id"], by_category["id"]]
    named, categorised = found["results"]
    name_weight, _, category_weight = (weight for _, weight in ranking.FIELD_WEIGHTS)
    assert named["score"] - categorised["score"] == pytest.approx(
        ranking.W_RELEVANCE * (name_weight - category_weight), abs=2e-6
    )


async def test_every_query_word_must_match(client: Client, retailer: str, store: str) -> None:
    for name in ("Makita Cordless Drill", "Estwing Claw Hammer", "Makita Cordless Impact Hammer"):
        await new_offer(client, retailer, store, await new_product(client, name))

    assert product_names(await search(client, "cordless hammer")) == ["Makita Cordless Impact Hammer"]
    assert sorted(product_names(await search(client, "makita cordless"))) == [
        "Makita Cordless Drill",
        "Makita Cordless Impact Hammer",
    ]
    assert product_names(await search(client, "claw drill")) == []


async def test_a_word_prefix_finds_the_whole_word(client: Client, retailer: str, store: str) -> None:
    await new_offer(client, retailer, store, await new_product(client, "DeWalt 20V Cordless Drill"))

    found = await search(client, "dril")

    assert product_names(found) == ["DeWalt 20V Cordless Drill"]
    assert found["corrections"] == []
    # A prefix, not any substring: "less" is inside "cordless" but starts no word.
    assert product_names(await search(client, "less")) == []


async def test_plural_and_singular_words_find_each_other(client: Client, retailer: str, store: str) -> None:
    await new_offer(client, retailer, store, await new_product(client, "Energizer AA Battery"))
    await new_offer(client, retailer, store, await new_product(client, "Duracell AAA Batteries 4 Pack"))
    await new_offer(client, retailer, store, await new_product(client, "Ryobi Cordless Drill"))

    for query in ("batteries", "battery", "Batteries"):
        found = await search(client, query)
        assert found["terms"] == ["battery"]
        assert sorted(product_names(found)) == ["Duracell AAA Batteries 4 Pack", "Energizer AA Battery"]


async def test_case_and_accents_do_not_matter(client: Client, retailer: str, store: str) -> None:
    await new_offer(client, retailer, store, await new_product(client, "Cafe Bustelo Espresso"))
    await new_offer(client, retailer, store, await new_product(client, "Crème Brûlée Torch"))

    assert product_names(await search(client, "CAFÉ")) == ["Cafe Bustelo Espresso"]
    assert product_names(await search(client, "creme BRULEE")) == ["Crème Brûlée Torch"]


# --- proximity -----------------------------------------------------------------------------------------------


async def test_the_nearer_store_ranks_first_for_the_same_product(client: Client, retailer: str) -> None:
    drill = await new_product(client, "Ryobi Cordless Drill")
    far_store = await new_store(client, retailer, "Alder Far", toward(ORIGIN, NORTH, 3.0))
    far = await new_offer(client, retailer, far_store, drill)
    near_store = await new_store(client, retailer, "Alder Near", toward(ORIGIN, SOUTH, 1.0))
    near = await new_offer(client, retailer, near_store, drill)

    found = await search(client, "cordless drill")

    assert offer_ids(found) == [near["id"], far["id"]]
    assert [hit["store"]["distance_km"] for hit in found["results"]] == pytest.approx([1.0, 3.0], abs=0.001)


async def test_a_store_outside_the_radius_never_appears(client: Client, retailer: str) -> None:
    drill = await new_product(client, "Ryobi Cordless Drill")
    names: dict[str, str] = {}
    for name, bearing, km in (("inside", NORTH, 4.99), ("just outside", SOUTH, 5.01), ("far away", EAST, 20.0)):
        location_id = await new_store(client, retailer, name, toward(ORIGIN, bearing, km))
        names[location_id] = name
        await new_offer(client, retailer, location_id, drill)

    def stores(found: dict[str, Any]) -> list[str]:
        return [names[hit["store"]["location_id"]] for hit in found["results"]]

    assert stores(await search(client, "drill", radius_km=5)) == ["inside"]
    assert stores(await search(client, "drill", radius_km=10)) == ["inside", "just outside"]
    assert stores(await search(client, "drill", radius_km=1)) == []


async def test_a_store_at_the_shoppers_exact_position_is_zero_km_away(client: Client, retailer: str) -> None:
    location_id = await new_store(client, retailer, "Alder Downtown", ORIGIN)
    await new_offer(client, retailer, location_id, await new_product(client, "Ryobi Cordless Drill"))

    [hit] = (await search(client, "cordless drill"))["results"]

    assert hit["store"]["distance_km"] == 0.0
    assert hit["score"] == pytest.approx(1.0, abs=1e-6)  # best text, proximity, stock and freshness


# --- stock status --------------------------------------------------------------------------------------------


async def test_by_default_only_offers_with_stock_are_found(client: Client, retailer: str) -> None:
    drill = await new_product(client, "Ryobi Cordless Drill")
    statuses = {}
    for km, quantity, status in ((0.5, 0, "out_of_stock"), (0.7, 0, "discontinued"), (1.0, 12, None), (1.5, 2, None)):
        location_id = await new_store(client, retailer, f"Alder {km} km", toward(ORIGIN, NORTH, km))
        offer = await new_offer(client, retailer, location_id, drill, quantity=quantity, status=status)
        statuses[offer["id"]] = offer["status"]

    found = await search(client, "drill")

    assert sorted(statuses.values()) == ["discontinued", "in_stock", "low_stock", "out_of_stock"]
    assert [hit["status"] for hit in found["results"]] == ["in_stock", "low_stock"]
    assert [statuses[offer_id] for offer_id in offer_ids(found)] == ["in_stock", "low_stock"]


async def test_out_of_stock_offers_are_listed_when_in_stock_only_is_false(client: Client, retailer: str) -> None:
    drill = await new_product(client, "Ryobi Cordless Drill")
    sold_out_store = await new_store(client, retailer, "Alder Sold Out", toward(ORIGIN, NORTH, 0.5))
    stocked_store = await new_store(client, retailer, "Alder Stocked", toward(ORIGIN, SOUTH, 1.0))
    sold_out = await new_offer(client, retailer, sold_out_store, drill, quantity=0)
    stocked = await new_offer(client, retailer, stocked_store, drill, quantity=12)

    assert offer_ids(await search(client, "drill")) == [stocked["id"]]
    found = await search(client, "drill", in_stock_only=False)

    # Nearer, but out of stock: it ranks below the stocked store.
    assert offer_ids(found) == [stocked["id"], sold_out["id"]]
    assert [(hit["status"], hit["quantity_on_hand"]) for hit in found["results"]] == [
        ("in_stock", 12),
        ("out_of_stock", 0),
    ]


async def test_low_stock_ranks_below_in_stock_other_things_equal(client: Client, retailer: str) -> None:
    drill = await new_product(client, "Ryobi Cordless Drill")
    east = await new_store(client, retailer, "Alder Hawthorne", toward(ORIGIN, EAST, 2.0))
    west = await new_store(client, retailer, "Alder Goose Hollow", toward(ORIGIN, WEST, 2.0))
    low = await new_offer(client, retailer, east, drill, quantity=2)
    plenty = await new_offer(client, retailer, west, drill, quantity=40)

    found = await search(client, "cordless drill")

    assert offer_ids(found) == [plenty["id"], low["id"]]
    first, second = found["results"]
    assert (first["status"], second["status"]) == ("in_stock", "low_stock")
    assert first["store"]["distance_km"] == second["store"]["distance_km"]
    stock_gap = ranking.STOCK_SCORES["in_stock"] - ranking.STOCK_SCORES["low_stock"]
    assert first["score"] - second["score"] == pytest.approx(ranking.W_STOCK * stock_gap, abs=2e-6)


# --- freshness -----------------------------------------------------------------------------------------------


async def test_stale_inventory_ranks_lower(client: Client, database: Database, retailer: str) -> None:
    drill = await new_product(client, "Ryobi Cordless Drill")
    east = await new_store(client, retailer, "Alder Hawthorne", toward(ORIGIN, EAST, 1.5))
    west = await new_store(client, retailer, "Alder Goose Hollow", toward(ORIGIN, WEST, 1.5))
    synced_yesterday = FIXED_NOW - timedelta(hours=30)
    async with client_at(database, synced_yesterday) as yesterday:
        stale = await new_offer(yesterday, retailer, east, drill)
    fresh = await new_offer(client, retailer, west, drill)

    found = await search(client, "cordless drill")

    assert offer_ids(found) == [fresh["id"], stale["id"]]
    first, second = found["results"]
    assert (first["confidence"], second["confidence"]) == ("confirmed", "uncertain")
    assert [datetime.fromisoformat(hit["last_inventory_sync"]) for hit in found["results"]] == [
        FIXED_NOW,
        synced_yesterday,
    ]
    assert first["store"]["distance_km"] == second["store"]["distance_km"]
    freshness_gap = ranking.FRESHNESS_CONFIRMED - ranking.FRESHNESS_UNCERTAIN
    assert first["score"] - second["score"] == pytest.approx(ranking.W_FRESHNESS * freshness_gap, abs=2e-6)


async def test_inventory_synced_a_few_hours_ago_is_reported_as_likely(
    client: Client, database: Database, retailer: str, store: str
) -> None:
    drill = await new_product(client, "Ryobi Cordless Drill")
    async with client_at(database, FIXED_NOW - timedelta(hours=5)) as this_morning:
        await new_offer(this_morning, retailer, store, drill)

    [hit] = (await search(client, "drill"))["results"]

    assert hit["confidence"] == "likely"
    assert datetime.fromisoformat(hit["last_inventory_sync"]) == FIXED_NOW - timedelta(hours=5)


# --- the score -----------------------------------------------------------------------------------------------


async def test_the_score_follows_the_documented_formula(client: Client, retailer: str) -> None:
    location_id = await new_store(client, retailer, "Alder Sellwood", toward(ORIGIN, NORTH, 2.0))
    await new_offer(client, retailer, location_id, await new_product(client, "Ryobi Cordless Drill"))

    [hit] = (await search(client, "cordless drill", radius_km=5))["results"]

    relevance = 1.0  # both words in the name
    proximity = 1 - 2.0 / 5
    expected = (
        ranking.W_RELEVANCE * relevance
        + ranking.W_PROXIMITY * proximity
        + ranking.W_STOCK * ranking.STOCK_SCORES["in_stock"]
        + ranking.W_FRESHNESS * ranking.FRESHNESS_CONFIRMED
    )
    assert hit["score"] == pytest.approx(expected, abs=1e-6)


async def test_the_score_blends_field_weights_low_stock_and_likely_freshness(
    client: Client, database: Database, retailer: str
) -> None:
    location_id = await new_store(client, retailer, "Alder Sellwood", toward(ORIGIN, SOUTH, 1.5))
    drill = await new_product(client, "Cordless Drill 1/2 in", brand="DeWalt", category="Power Tools")
    async with client_at(database, FIXED_NOW - timedelta(hours=5)) as this_morning:
        await new_offer(this_morning, retailer, location_id, drill, quantity=2)

    [hit] = (await search(client, "dewalt drill tools", radius_km=3))["results"]

    name, brand, category = (weight for _, weight in ranking.FIELD_WEIGHTS)
    relevance = (brand + name + category) / 3
    expected = (
        ranking.W_RELEVANCE * relevance
        + ranking.W_PROXIMITY * (1 - 1.5 / 3)
        + ranking.W_STOCK * ranking.STOCK_SCORES["low_stock"]
        + ranking.W_FRESHNESS * ranking.FRESHNESS_LIKELY
    )
    assert (hit["status"], hit["confidence"]) == ("low_stock", "likely")
    assert hit["score"] == pytest.approx(expected, abs=1e-6)


# --- typos and stop words ------------------------------------------------------------------------------------


async def test_misspelled_words_are_corrected_and_reported(client: Client, retailer: str, store: str) -> None:
    await new_offer(client, retailer, store, await new_product(client, "DeWalt 20V Cordless Drill"))
    await new_offer(client, retailer, store, await new_product(client, "Estwing Claw Hammer"))

    found = await search(client, "cordlss drrill")

    assert product_names(found) == ["DeWalt 20V Cordless Drill"]
    assert found["terms"] == ["cordless", "drill"]
    assert found["corrections"] == [
        {"original": "cordlss", "corrected": "cordless"},
        {"original": "drrill", "corrected": "drill"},
    ]


async def test_a_misspelling_next_to_a_correct_word_only_corrects_the_misspelling(
    client: Client, retailer: str, store: str
) -> None:
    await new_offer(client, retailer, store, await new_product(client, "Estwing Claw Hammer"))

    found = await search(client, "claw hamer")

    assert product_names(found) == ["Estwing Claw Hammer"]
    assert found["corrections"] == [{"original": "hamer", "corrected": "hammer"}]


async def test_a_word_with_no_close_match_finds_nothing_without_an_error(
    client: Client, retailer: str, store: str
) -> None:
    await new_offer(client, retailer, store, await new_product(client, "DeWalt 20V Cordless Drill"))

    nothing = await search(client, "xylophone")
    also_nothing = await search(client, "cordless xylophone")

    assert nothing["results"] == [] and nothing["corrections"] == []
    assert nothing["terms"] == ["xylophone"]
    assert also_nothing["results"] == []


async def test_stop_words_are_ignored(client: Client, retailer: str, store: str) -> None:
    await new_offer(client, retailer, store, await new_product(client, "Energizer AA Battery"))
    await new_offer(client, retailer, store, await new_product(client, "Ryobi Cordless Drill"))

    plain = await search(client, "batteries")
    chatty = await search(client, "batteries near me")

    assert chatty["terms"] == plain["terms"] == ["battery"]
    assert chatty["results"] == plain["results"]
    assert product_names(chatty) == ["Energizer AA Battery"]


async def test_a_dropped_letter_in_a_short_word_is_corrected(client: Client, retailer: str, store: str) -> None:
    await new_offer(client, retailer, store, await new_product(client, "DeWalt 20V Cordless Drill"))
    await new_offer(client, retailer, store, await new_product(client, "Craftsman Adjustable Wrench"))

    drill = await search(client, "cordles drll")
    wrench = await search(client, "wrnch")

    assert product_names(drill) == ["DeWalt 20V Cordless Drill"]
    assert {"original": "drll", "corrected": "drill"} in drill["corrections"]
    assert product_names(wrench) == ["Craftsman Adjustable Wrench"]


async def test_a_whole_sentence_searches_only_its_product_words(client: Client, retailer: str, store: str) -> None:
    await new_offer(client, retailer, store, await new_product(client, "Energizer AA Battery"))

    found = await search(client, "where can i buy some of the batteries near me")

    assert found["terms"] == ["battery"]
    assert product_names(found) == ["Energizer AA Battery"]


async def test_discontinued_offers_never_show_in_search(client: Client, retailer: str, store: str) -> None:
    drill = await new_product(client, "Ryobi Cordless Drill")
    await new_offer(client, retailer, store, drill, quantity=0, status="discontinued")

    assert (await search(client, "drill", in_stock_only=False))["results"] == []


# --- visibility, limits and order ----------------------------------------------------------------------------


async def test_an_unpublished_store_never_appears(client: Client, retailer: str) -> None:
    drill = await new_product(client, "Ryobi Cordless Drill")
    open_store = await new_store(client, retailer, "Alder Open", toward(ORIGIN, NORTH, 2.0))
    hidden_store = await new_store(client, retailer, "Alder Hidden", toward(ORIGIN, SOUTH, 0.5))
    shown = await new_offer(client, retailer, open_store, drill)
    await new_offer(client, retailer, hidden_store, drill)

    await call(client, "unpublish_location", location_id=hidden_store)

    assert offer_ids(await search(client, "drill")) == [shown["id"]]
    assert offer_ids(await search(client, "drill", in_stock_only=False, radius_km=50)) == [shown["id"]]


async def test_limit_caps_the_results_at_the_best_ones(client: Client, retailer: str) -> None:
    drill = await new_product(client, "Ryobi Cordless Drill")
    for km in (0.5, 1.0, 1.5, 2.0, 2.5):
        location_id = await new_store(client, retailer, f"Alder {km} km", toward(ORIGIN, WEST, km))
        await new_offer(client, retailer, location_id, drill)

    everything = await search(client, "drill")
    top_three = await search(client, "drill", limit=3)

    assert len(everything["results"]) == 5
    assert top_three["results"] == everything["results"][:3]
    assert [hit["rank"] for hit in top_three["results"]] == [1, 2, 3]
    assert len((await search(client, "drill", limit=1))["results"]) == 1


async def test_the_same_search_twice_gives_the_same_list(client: Client, retailer: str, store: str) -> None:
    drill = await new_product(client, "Ryobi Cordless Drill")
    # Three offers that tie on every ranking input: same product, same store.
    tied = [await new_offer(client, retailer, store, drill, sku=f"RY-{n}") for n in range(3)]
    other = await new_store(client, retailer, "Alder Hawthorne", toward(ORIGIN, EAST, 1.0))
    await new_offer(client, retailer, other, drill)

    first = await search(client, "drill")
    second = await search(client, "drill")

    assert first == second
    tied_ids = {offer["id"] for offer in tied}
    assert [offer_id for offer_id in offer_ids(first) if offer_id in tied_ids] == sorted(tied_ids)


# --- query text is data --------------------------------------------------------------------------------------


async def test_quotes_and_sql_characters_in_a_query_are_plain_text(client: Client, retailer: str, store: str) -> None:
    await new_offer(client, retailer, store, await new_product(client, 'Jack\'s "Best" 100% Oil'))
    await new_offer(client, retailer, store, await new_product(client, "Best Motor Oil"))

    found = await search(client, 'jack\'s "best" 100%')

    assert product_names(found) == ['Jack\'s "Best" 100% Oil']


async def test_sql_and_full_text_syntax_in_a_query_is_only_text(client: Client, retailer: str, store: str) -> None:
    await new_offer(client, retailer, store, await new_product(client, "Best Motor Oil"))
    await new_offer(client, retailer, store, await new_product(client, "Ryobi Cordless Drill"))
    expected_by_query = {
        "oil'; DROP TABLE products; --": [],
        "oil' OR '1'='1": [],
        "%oil%": ["Best Motor Oil"],  # not LIKE wildcards
        "_il": [],  # "_" is no single-character wildcard either
        '"oil"*': ["Best Motor Oil"],  # nor full-text syntax
        "oil -motor": ["Best Motor Oil"],  # "-" negates nothing
    }

    for query, expected in expected_by_query.items():
        assert product_names(await search(client, query)) == expected, query

    assert product_names(await search(client, "motor oil")) == ["Best Motor Oil"]
