"""Store locations: publishing, updating, unpublishing and finding stores nearby."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from localshelf.store.db import Database
from tests.builders import DRILL_UPC, NORTH, SELLWOOD, new_offer, new_product, new_retailer, publish_store, toward
from tests.conftest import call, call_error, row_counts

pytestmark = pytest.mark.anyio

ORIGIN = SELLWOOD  # the shopper, in Sellwood, Portland OR
ZIP_97214 = (45.5142, -122.6364)  # centroid of ZIP 97214 (Portland, OR)
GTIN = DRILL_UPC
# A store in ZIP 97214 given by its address alone, without coordinates.
BY_ZIP: dict[str, Any] = {
    "name": "Alder Buckman",
    "address_line1": "1 SE 20th Ave",
    "city": "Portland",
    "country": "US",
    "postal_code": "97214",
}


async def nearby(client: Client, latitude: float, longitude: float, **options: Any) -> list[dict[str, Any]]:
    found = await call(client, "find_locations", latitude=latitude, longitude=longitude, **options)
    return list(found["locations"])


@pytest.fixture
async def retailer(client: Client) -> str:
    return await new_retailer(client)


@pytest.fixture
async def store(client: Client, retailer: str) -> dict[str, Any]:
    return await publish_store(client, retailer, "Alder Sellwood", ORIGIN)


FULL_FIELDS: dict[str, Any] = {
    "name": "Alder Hardware – Sellwood",
    "address_line1": "1234 SE Milwaukie Ave",
    "address_line2": "Suite 5",
    "city": "Portland",
    "region": "OR",
    "postal_code": "97202",
    "country": "US",
    "latitude": 45.4651,
    "longitude": -122.6531,
    "timezone": "America/Los_Angeles",
    "opening_hours": {"mon": [["09:00", "18:00"]], "fri": [["09:00", "12:00"], ["13:00", "21:00"]], "sun": []},
    "phone": "+15035550123",
    "website": "https://alder.example/sellwood",
}


def expected_view(organization_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "organization_id": organization_id,
        "name": fields["name"],
        "address": {
            "line1": fields["address_line1"],
            "line2": fields["address_line2"],
            "city": fields["city"],
            "region": fields["region"],
            "postal_code": fields["postal_code"],
            "country": fields["country"],
        },
        "latitude": fields["latitude"],
        "longitude": fields["longitude"],
        "timezone": fields["timezone"],
        "opening_hours": fields["opening_hours"],
        "phone": fields["phone"],
        "website": fields["website"],
        "published": True,
    }


def without_server_fields(view: dict[str, Any]) -> dict[str, Any]:
    dropped = {"id", "created_at", "updated_at", "coordinates_source", "distance_km"}
    return {key: value for key, value in view.items() if key not in dropped}


# --- publish ---------------------------------------------------------------------------------------------------


async def test_a_store_published_with_every_field_round_trips_every_field(client: Client, retailer: str) -> None:
    published = await call(client, "publish_location", organization_id=retailer, **FULL_FIELDS)

    assert published["id"].startswith("loc_")
    assert published["coordinates_source"] == "provided"
    assert without_server_fields(published) == expected_view(retailer, FULL_FIELDS)

    [stored] = await nearby(client, FULL_FIELDS["latitude"], FULL_FIELDS["longitude"])
    assert stored["id"] == published["id"]
    assert without_server_fields(stored) == expected_view(retailer, FULL_FIELDS)
    assert stored["created_at"] == published["created_at"]


async def test_a_lower_case_country_is_stored_upper_case(client: Client, retailer: str) -> None:
    published = await call(client, "publish_location", organization_id=retailer, **{**FULL_FIELDS, "country": "us"})

    assert published["address"]["country"] == "US"
    [stored] = await nearby(client, FULL_FIELDS["latitude"], FULL_FIELDS["longitude"])
    assert stored["address"]["country"] == "US"


async def test_a_us_store_published_by_zip_code_alone_is_placed_at_the_zip_centroid(
    client: Client, retailer: str
) -> None:
    published = await call(client, "publish_location", organization_id=retailer, **BY_ZIP)

    assert published["coordinates_source"] == "postal_code_centroid"
    assert published["latitude"] == pytest.approx(ZIP_97214[0], abs=0.01)
    assert published["longitude"] == pytest.approx(ZIP_97214[1], abs=0.01)
    assert published["timezone"] == "America/Los_Angeles"
    assert published["address"]["postal_code"] == "97214"

    [found] = await nearby(client, *ZIP_97214, radius_km=2)
    assert found["id"] == published["id"]


async def test_a_zip_plus_four_code_and_a_lower_case_country_also_locate_the_store(
    client: Client, retailer: str
) -> None:
    published = await call(
        client, "publish_location", organization_id=retailer, **{**BY_ZIP, "country": "us", "postal_code": "97214-1234"}
    )

    assert published["coordinates_source"] == "postal_code_centroid"
    assert published["latitude"] == pytest.approx(ZIP_97214[0], abs=0.01)
    assert published["longitude"] == pytest.approx(ZIP_97214[1], abs=0.01)


async def test_a_time_zone_given_with_a_zip_code_is_kept(client: Client, retailer: str) -> None:
    published = await call(client, "publish_location", organization_id=retailer, **BY_ZIP, timezone="America/Denver")

    assert published["coordinates_source"] == "postal_code_centroid"
    assert published["timezone"] == "America/Denver"


async def test_given_coordinates_win_over_the_zip_code(client: Client, retailer: str) -> None:
    published = await call(
        client, "publish_location", organization_id=retailer, **BY_ZIP, latitude=ORIGIN[0], longitude=ORIGIN[1]
    )

    assert published["coordinates_source"] == "provided"
    assert (published["latitude"], published["longitude"]) == ORIGIN


@pytest.mark.parametrize(
    ("country", "postal_code"),
    [("CA", "97214"), ("US", None), ("US", "00000")],
    ids=["zip-outside-the-us", "no-postal-code", "unknown-zip"],
)
async def test_a_store_that_cannot_be_located_offline_needs_coordinates(
    client: Client, retailer: str, database: Database, country: str, postal_code: str | None
) -> None:
    before = row_counts(database)
    address: dict[str, Any] = {"postal_code": postal_code} if postal_code else {}

    code, message = await call_error(
        client,
        "publish_location",
        organization_id=retailer,
        name="Alder Elsewhere",
        address_line1="1 Main St",
        city="Somewhere",
        country=country,
        **address,
    )

    assert code == "coordinates_required"
    assert "latitude and longitude" in message
    assert row_counts(database) == before


async def test_a_latitude_without_a_longitude_is_refused_and_nothing_is_published(
    client: Client, retailer: str, database: Database
) -> None:
    before = row_counts(database)

    code, message = await call_error(client, "publish_location", organization_id=retailer, **BY_ZIP, latitude=ORIGIN[0])

    assert code == "invalid_coordinates"
    assert "longitude" in message
    assert row_counts(database) == before


# --- update ----------------------------------------------------------------------------------------------------


async def test_update_location_changes_only_the_fields_given(client: Client, retailer: str) -> None:
    published = await call(client, "publish_location", organization_id=retailer, **FULL_FIELDS)

    updated = await call(
        client, "update_location", location_id=published["id"], phone="+15035550199", name="Alder – Sellwood"
    )

    expected = {**expected_view(retailer, FULL_FIELDS), "phone": "+15035550199", "name": "Alder – Sellwood"}
    assert updated["id"] == published["id"]
    assert without_server_fields(updated) == expected
    [stored] = await nearby(client, FULL_FIELDS["latitude"], FULL_FIELDS["longitude"])
    assert without_server_fields(stored) == expected


async def test_update_location_replaces_opening_hours_and_upper_cases_the_country(
    client: Client, store: dict[str, Any]
) -> None:
    hours = {"sat": [["10:00", "16:00"]], "sun": []}

    updated = await call(client, "update_location", location_id=store["id"], opening_hours=hours, country="ca")

    assert updated["opening_hours"] == hours
    assert updated["address"]["country"] == "CA"
    assert updated["address"]["city"] == store["address"]["city"]


async def test_moving_a_store_moves_it_in_find_locations(client: Client, store: dict[str, Any]) -> None:
    new_lat, new_lon = 45.5230, -122.6760  # downtown Portland, ~7.5 km from Sellwood

    moved = await call(client, "update_location", location_id=store["id"], latitude=new_lat, longitude=new_lon)

    assert (moved["latitude"], moved["longitude"]) == (new_lat, new_lon)
    [found] = await nearby(client, new_lat, new_lon, radius_km=1)
    assert found["id"] == store["id"]
    assert found["distance_km"] == pytest.approx(0.0, abs=0.001)
    assert await nearby(client, *ORIGIN, radius_km=1) == []


async def test_an_update_with_no_fields_is_refused(client: Client, store: dict[str, Any]) -> None:
    code, message = await call_error(client, "update_location", location_id=store["id"])

    assert code == "invalid_argument"
    assert "Nothing to update" in message


# --- unpublish and republish -----------------------------------------------------------------------------------


@pytest.fixture
async def store_with_offer(client: Client, retailer: str, store: dict[str, Any]) -> dict[str, Any]:
    await new_product(client, "DeWalt 20V Cordless Drill", gtin=GTIN, brand="DeWalt")
    await new_offer(client, retailer, store["id"], gtin=GTIN, sku="DW-20V", price_minor=9999, quantity=5)
    return store


async def visible_everywhere(client: Client, location_id: str) -> tuple[bool, bool, bool]:
    """Whether the store shows in find_locations, search_local_products and check_product_availability."""
    stores = await nearby(client, *ORIGIN)
    searched = await call(
        client, "search_local_products", query="cordless drill", latitude=ORIGIN[0], longitude=ORIGIN[1]
    )
    available = await call(client, "check_product_availability", gtin=GTIN, latitude=ORIGIN[0], longitude=ORIGIN[1])
    return (
        location_id in [s["id"] for s in stores],
        location_id in [hit["store"]["location_id"] for hit in searched["results"]],
        location_id in [hit["store"]["location_id"] for hit in available["stores"]],
    )


async def test_an_unpublished_store_disappears_from_every_shopper_answer(
    client: Client, store_with_offer: dict[str, Any]
) -> None:
    location_id = store_with_offer["id"]
    assert await visible_everywhere(client, location_id) == (True, True, True)

    hidden = await call(client, "unpublish_location", location_id=location_id)

    assert hidden["published"] is False
    assert await visible_everywhere(client, location_id) == (False, False, False)
    available = await call(client, "check_product_availability", gtin=GTIN, latitude=ORIGIN[0], longitude=ORIGIN[1])
    assert available["in_stock_store_count"] == 0


async def test_a_republished_store_comes_back_with_its_offers(client: Client, store_with_offer: dict[str, Any]) -> None:
    location_id = store_with_offer["id"]
    await call(client, "unpublish_location", location_id=location_id)

    shown = await call(client, "republish_location", location_id=location_id)

    assert shown["published"] is True
    assert await visible_everywhere(client, location_id) == (True, True, True)
    searched = await call(
        client, "search_local_products", query="cordless drill", latitude=ORIGIN[0], longitude=ORIGIN[1]
    )
    assert [hit["quantity_on_hand"] for hit in searched["results"]] == [5]


async def test_unpublishing_twice_and_republishing_twice_is_harmless(client: Client, store: dict[str, Any]) -> None:
    await call(client, "unpublish_location", location_id=store["id"])
    assert (await call(client, "unpublish_location", location_id=store["id"]))["published"] is False

    await call(client, "republish_location", location_id=store["id"])
    assert (await call(client, "republish_location", location_id=store["id"]))["published"] is True
    assert [s["id"] for s in await nearby(client, *ORIGIN)] == [store["id"]]


# --- find_locations --------------------------------------------------------------------------------------------


async def test_a_store_searched_at_its_own_coordinates_comes_back_at_zero_km(client: Client, retailer: str) -> None:
    published = await call(client, "publish_location", organization_id=retailer, **FULL_FIELDS)

    [found] = await nearby(client, published["latitude"], published["longitude"])

    assert found["id"] == published["id"]
    assert found["distance_km"] == pytest.approx(0.0, abs=0.001)


async def test_find_locations_lists_nearest_first_with_distances(client: Client, retailer: str) -> None:
    far = await publish_store(client, retailer, "Three km", toward(ORIGIN, NORTH, 3))
    near = await publish_store(client, retailer, "One km", toward(ORIGIN, NORTH, 1))
    middle = await publish_store(client, retailer, "Two km", toward(ORIGIN, NORTH, 2))

    found = await nearby(client, *ORIGIN)

    assert [s["id"] for s in found] == [near["id"], middle["id"], far["id"]]
    assert [s["distance_km"] for s in found] == [
        pytest.approx(1.0, abs=0.01),
        pytest.approx(2.0, abs=0.01),
        pytest.approx(3.0, abs=0.01),
    ]


async def test_find_locations_respects_the_radius(client: Client, retailer: str) -> None:
    near = await publish_store(client, retailer, "One km", toward(ORIGIN, NORTH, 1))
    far = await publish_store(client, retailer, "Three km", toward(ORIGIN, NORTH, 3))

    assert [s["id"] for s in await nearby(client, *ORIGIN, radius_km=2)] == [near["id"]]
    assert [s["id"] for s in await nearby(client, *ORIGIN, radius_km=4)] == [near["id"], far["id"]]


async def test_find_locations_is_limited_to_the_nearest_stores(client: Client, retailer: str) -> None:
    stores = [await publish_store(client, retailer, f"{km} km", toward(ORIGIN, NORTH, km)) for km in (4, 1, 3, 2)]
    by_distance = [stores[1]["id"], stores[3]["id"], stores[2]["id"], stores[0]["id"]]

    assert [s["id"] for s in await nearby(client, *ORIGIN, limit=2)] == by_distance[:2]
    assert [s["id"] for s in await nearby(client, *ORIGIN, limit=1)] == by_distance[:1]
    assert [s["id"] for s in await nearby(client, *ORIGIN, limit=10)] == by_distance


async def test_find_locations_lists_every_organization_unless_filtered(client: Client, retailer: str) -> None:
    other = await new_retailer(client, "Birch Books")
    ours = await publish_store(client, retailer, "Alder Sellwood", toward(ORIGIN, NORTH, 1))
    theirs = await publish_store(client, other, "Birch Sellwood", toward(ORIGIN, NORTH, 2))

    everyone = await nearby(client, *ORIGIN)
    only_ours = await nearby(client, *ORIGIN, organization_id=retailer)
    only_theirs = await nearby(client, *ORIGIN, organization_id=other)

    assert [(s["id"], s["organization_id"]) for s in everyone] == [(ours["id"], retailer), (theirs["id"], other)]
    assert [s["id"] for s in only_ours] == [ours["id"]]
    assert [s["id"] for s in only_theirs] == [theirs["id"]]


async def test_find_locations_finds_nothing_where_there_are_no_stores(client: Client, store: dict[str, Any]) -> None:
    assert await nearby(client, 40.7128, -74.0060, radius_km=100) == []
