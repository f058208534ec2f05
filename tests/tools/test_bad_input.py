"""Bad input, through a real MCP client on both backends.

The contract: every tool refuses bad arguments with a stable error code and a one-line
human message, and a refused call writes nothing. Strings that look like SQL, HTML or
tricks with Unicode are data: names are stored and returned verbatim, queries are
searched as words, and the tables are intact afterwards. No stack trace, file path or
SQL text ever reaches the client.

Each refusal case is "a call that succeeds, with one thing wrong": every case starts
from the same valid arguments per tool (BASE, checked by
`test_the_baseline_arguments_of_every_tool_are_accepted`) and changes one of them.

Known gaps, reported rather than tested here:
- NaN/inf for an *optional* number (update_location latitude/longitude,
  update_in_store_offer price_minor/quantity_on_hand) cannot be tested as bad input:
  the SDK client serializes non-finite floats as JSON null, which the server reads as
  "not given". update_location(latitude=inf, longitude=X) therefore succeeds and
  moves only the longitude.
- Booleans pass as integers: price_minor=true is stored as a price of 1.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest
from mcp import Client

from localshelf.store.db import Database
from tests.builders import DRILL_UPC, SELLWOOD, new_retailer, new_store, onboard
from tests.conftest import call, call_error, row_counts, table_rows

pytestmark = pytest.mark.anyio

NAN = float("nan")
INF = float("inf")

DRILL_GTIN = DRILL_UPC  # registered by the `world` fixture
UNREGISTERED_GTIN = "4006381333931"  # valid check digit, never registered
STORE_LAT, STORE_LON = SELLWOOD  # Alder Hardware, Sellwood, Portland
OTHER_LAT, OTHER_LON = 45.5120, -122.6270  # Birch Books, Hawthorne, Portland
FAR_LAT, FAR_LON = 47.6062, -122.3321  # Seattle: outside every search radius used around the stores


# --------------------------------------------------------------------------- the world


@dataclass(frozen=True)
class World:
    """Ids of what the `world` fixture created through the tools."""

    org: str
    loc: str
    prd: str
    ofr: str
    other_org: str
    other_loc: str
    brand: str


@dataclass(frozen=True)
class Ref:
    """Stands for an id of the world in a case's arguments, resolved when the test runs."""

    name: str

    def __repr__(self) -> str:
        return f"<{self.name}>"


ORG, LOC, PRD, OFR = Ref("org"), Ref("loc"), Ref("prd"), Ref("ofr")
OTHER_ORG, OTHER_LOC, BRAND = Ref("other_org"), Ref("other_loc"), Ref("brand")
OMIT = Ref("omit")  # drop this argument from the baseline


@pytest.fixture
async def world(client: Client) -> World:
    shop = await onboard(
        client,
        website="https://alder.example",
        region="OR",
        postal_code="97202",
        timezone="America/Los_Angeles",
        opening_hours={"mon": [["09:00", "18:00"]], "sun": []},
    )
    other_org = await new_retailer(client, "Birch Books")
    other_loc = await new_store(
        client, other_org, "Birch Books – Hawthorne", (OTHER_LAT, OTHER_LON), address_line1="3500 SE Hawthorne Blvd"
    )
    brand = await call(client, "create_organization", name="DeWalt", kind="brand")
    return World(
        org=shop.org,
        loc=shop.loc,
        prd=shop.prd,
        ofr=shop.ofr,
        other_org=other_org,
        other_loc=other_loc,
        brand=brand["id"],
    )


# Valid arguments for every tool; each case below changes exactly one thing.
BASE: dict[str, dict[str, Any]] = {
    "create_organization": {"name": "Cedar Cycles"},
    "get_organization": {"organization_id": ORG},
    "publish_location": {
        "organization_id": ORG,
        "name": "Alder Hardware – Hawthorne",
        "address_line1": "3400 SE Hawthorne Blvd",
        "city": "Portland",
        "country": "US",
        "latitude": 45.5118,
        "longitude": -122.6295,
    },
    "update_location": {"location_id": LOC, "name": "Alder Hardware – Sellwood (new sign)"},
    "unpublish_location": {"location_id": LOC},
    "republish_location": {"location_id": LOC},
    "find_locations": {"latitude": STORE_LAT, "longitude": STORE_LON},
    "register_product": {"gtin": UNREGISTERED_GTIN, "name": "STABILO point 88 fineliner"},
    "get_product": {"product_id": PRD},
    "create_in_store_offer": {
        "organization_id": ORG,
        "location_id": LOC,
        "gtin": DRILL_GTIN,
        "sku": "A1-FLOOR",
        "price_minor": 9499,
        "quantity_on_hand": 2,
    },
    "update_in_store_offer": {"offer_id": OFR, "price_minor": 8999},
    "list_in_store_offers": {"organization_id": ORG},
    "search_local_products": {"query": "cordless drill", "latitude": STORE_LAT, "longitude": STORE_LON},
    "check_product_availability": {"gtin": DRILL_GTIN, "latitude": STORE_LAT, "longitude": STORE_LON},
}
TOOLS = tuple(BASE)


def _resolve(value: Any, world: World) -> Any:
    if isinstance(value, Ref):
        return getattr(world, value.name)
    if isinstance(value, dict):
        return {key: _resolve(item, world) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, world) for item in value]
    return value


@dataclass(frozen=True)
class Bad:
    """One refused call: the tool, what differs from BASE, the expected code and a readable id."""

    tool: str
    label: str
    code: str
    changes: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.tool}-{self.label}"

    def arguments(self, world: World) -> dict[str, Any]:
        merged = {**BASE[self.tool], **self.changes}
        return {key: _resolve(value, world) for key, value in merged.items() if value is not OMIT}


def cases(bad: Iterable[Bad]) -> Any:
    listed = list(bad)
    ids = [case.id for case in listed]
    assert len(ids) == len(set(ids)), f"duplicate case ids: {sorted(i for i in ids if ids.count(i) > 1)}"
    return pytest.mark.parametrize("bad", listed, ids=ids)


# --------------------------------------------------------------------------- helpers


LEAKS = ("Traceback", 'File "', "SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM", "[SQL:", "sqlalchemy", "psycopg")


def assert_clean_message(message: str) -> None:
    assert message.strip(), "the error message is empty"
    assert "\n" not in message and "\r" not in message, f"message is not one line: {message!r}"
    assert len(message) <= 300, f"message is not a one-line human message ({len(message)} chars): {message!r}"
    for leak in LEAKS:
        assert leak not in message, f"message leaks internals ({leak!r}): {message!r}"


async def assert_refused(client: Client, database: Database, tool: str, arguments: dict[str, Any], code: str) -> str:
    """The call fails with `code` and a clean one-line message, and leaves every table as it was."""
    counts, rows = row_counts(database), table_rows(database)
    got, message = await call_error(client, tool, **arguments)
    assert got == code, f"{tool}: expected {code}, got {got}: {message}"
    assert_clean_message(message)
    assert row_counts(database) == counts
    assert table_rows(database) == rows, f"{tool} was refused but changed stored rows"
    return message


async def refuse(client: Client, database: Database, world: World, bad: Bad) -> str:
    return await assert_refused(client, database, bad.tool, bad.arguments(world), bad.code)


# --------------------------------------------------------------------------- baseline


@pytest.mark.parametrize("tool", TOOLS)
async def test_the_baseline_arguments_of_every_tool_are_accepted(client: Client, world: World, tool: str) -> None:
    arguments = {key: _resolve(value, world) for key, value in BASE[tool].items()}
    assert await call(client, tool, **arguments)


# --------------------------------------------------------------------------- GTINs

BAD_GTINS = {
    "letters": "03600029145A",
    "wrong-length": "0360002914",
    "bad-check-digit": "036000291453",
    "all-zeros": "00000000000000",
    "empty": "",
    "arabic-indic-digits": "٠٣٦٠٠٠٢٩١٤٥٢",
    "sql": "036000291452' OR '1'='1",
}
GTIN_TOOLS = {
    "register_product": {},
    "get_product": {"product_id": OMIT},
    "create_in_store_offer": {},
    "check_product_availability": {},
}


@cases(
    Bad(tool, label, "invalid_gtin", {**extra, "gtin": gtin})
    for tool, extra in GTIN_TOOLS.items()
    for label, gtin in BAD_GTINS.items()
)
async def test_an_invalid_gtin_is_refused_with_invalid_gtin(
    client: Client, database: Database, world: World, bad: Bad
) -> None:
    await refuse(client, database, world, bad)


async def test_a_bad_check_digit_is_explained_with_the_expected_digit(
    client: Client, database: Database, world: World
) -> None:
    message = await assert_refused(
        client, database, "register_product", {"gtin": "036000291453", "name": "Drill"}, "invalid_gtin"
    )
    assert "check digit" in message and "expected 2" in message


# --------------------------------------------------------------------------- coordinates

BAD_COORDINATES = {
    "latitude-90.0001": {"latitude": 90.0001},
    "latitude-minus-90.0001": {"latitude": -90.0001},
    "longitude-minus-180.5": {"longitude": -180.5},
    "longitude-180.0001": {"longitude": 180.0001},
    "latitude-not-a-number-string": {"latitude": "north"},
}
NON_FINITE_COORDINATES = {
    "latitude-nan": {"latitude": NAN},
    "longitude-inf": {"longitude": INF},
    "latitude-minus-inf": {"latitude": -INF},
}
COORDINATE_TOOLS = ("publish_location", "find_locations", "search_local_products", "check_product_availability")


@cases(
    [
        *(
            Bad(tool, label, "invalid_coordinates", changes)
            for tool in (*COORDINATE_TOOLS, "update_location")
            for label, changes in BAD_COORDINATES.items()
        ),
        # Not update_location: there a NaN arrives as null, i.e. "leave unchanged" (see module docstring).
        *(
            Bad(tool, label, "invalid_coordinates", changes)
            for tool in COORDINATE_TOOLS
            for label, changes in NON_FINITE_COORDINATES.items()
        ),
        Bad("publish_location", "latitude-without-longitude", "invalid_coordinates", {"longitude": OMIT}),
        Bad("update_location", "both-out-of-range", "invalid_coordinates", {"latitude": 91.0, "longitude": 181.0}),
    ]
)
async def test_coordinates_off_the_globe_are_refused_with_invalid_coordinates(
    client: Client, database: Database, world: World, bad: Bad
) -> None:
    await refuse(client, database, world, bad)


@pytest.mark.parametrize(
    ("latitude", "longitude"), [(90.0, 180.0), (-90.0, -180.0), (0.0, 0.0)], ids=["north-east", "south-west", "zero"]
)
@pytest.mark.parametrize("tool", ["find_locations", "search_local_products", "check_product_availability"])
async def test_the_exact_limits_of_latitude_longitude_and_radius_are_accepted(
    client: Client, world: World, tool: str, latitude: float, longitude: float
) -> None:
    arguments = {**BASE[tool], "latitude": latitude, "longitude": longitude, "radius_km": 100}
    result = await call(client, tool, **arguments)
    assert result  # far from every store: an empty but successful answer


# --------------------------------------------------------------------------- radius

BAD_RADII = {
    "zero": 0,
    "minus-one": -1,
    "100.5-km": 100.5,
    "just-over-100": 100.000001,
    "a-billion": 1e9,
    "nan": NAN,
    "inf": INF,
    "text": "far",
}


@cases(
    Bad(tool, label, "invalid_radius", {"radius_km": radius})
    for tool in ("find_locations", "search_local_products", "check_product_availability")
    for label, radius in BAD_RADII.items()
)
async def test_a_radius_not_above_0_and_at_most_100_km_is_refused_with_invalid_radius(
    client: Client, database: Database, world: World, bad: Bad
) -> None:
    await refuse(client, database, world, bad)


# --------------------------------------------------------------------------- prices and quantities


@cases(
    [
        Bad("create_in_store_offer", "negative-price", "invalid_price", {"price_minor": -1}),
        Bad("create_in_store_offer", "price-above-maximum", "invalid_price", {"price_minor": 10**12 + 1}),
        Bad("create_in_store_offer", "fractional-price", "invalid_price", {"price_minor": 12.5}),
        Bad("create_in_store_offer", "nan-price", "invalid_price", {"price_minor": NAN}),
        Bad("create_in_store_offer", "text-price", "invalid_price", {"price_minor": "ten dollars"}),
        Bad("create_in_store_offer", "negative-quantity", "invalid_quantity", {"quantity_on_hand": -1}),
        Bad("create_in_store_offer", "quantity-above-maximum", "invalid_quantity", {"quantity_on_hand": 10**9 + 1}),
        Bad("create_in_store_offer", "fractional-quantity", "invalid_quantity", {"quantity_on_hand": 2.5}),
        Bad("create_in_store_offer", "inf-quantity", "invalid_quantity", {"quantity_on_hand": INF}),
        Bad(
            "create_in_store_offer",
            "zero-quantity-in-stock",
            "invalid_quantity",
            {"quantity_on_hand": 0, "status": "in_stock"},
        ),
        Bad(
            "create_in_store_offer",
            "zero-quantity-low-stock",
            "invalid_quantity",
            {"quantity_on_hand": 0, "status": "low_stock"},
        ),
        Bad("update_in_store_offer", "negative-price", "invalid_price", {"price_minor": -1}),
        Bad("update_in_store_offer", "price-above-maximum", "invalid_price", {"price_minor": 10**12 + 1}),
        Bad("update_in_store_offer", "negative-quantity", "invalid_quantity", {"quantity_on_hand": -5}),
        Bad(
            "update_in_store_offer",
            "zero-quantity-in-stock",
            "invalid_quantity",
            {"quantity_on_hand": 0, "status": "in_stock"},
        ),
        Bad(
            "update_in_store_offer",
            "zero-quantity-low-stock",
            "invalid_quantity",
            {"price_minor": OMIT, "quantity_on_hand": 0, "status": "low_stock"},
        ),
    ]
)
async def test_negative_or_impossible_prices_and_quantities_are_refused(
    client: Client, database: Database, world: World, bad: Bad
) -> None:
    await refuse(client, database, world, bad)


# --------------------------------------------------------------------------- currencies

BAD_CURRENCIES = {
    "unknown-XYZ": "XYZ",
    "withdrawn-DEM": "DEM",
    "two-letters": "US",
    "symbol": "U$D",
    "empty": "",
    "euro-sign": "€",
}


@cases(
    Bad(tool, label, "invalid_currency", {"currency": currency})
    for tool in ("create_in_store_offer", "update_in_store_offer")
    for label, currency in BAD_CURRENCIES.items()
)
async def test_an_unknown_currency_is_refused_with_invalid_currency(
    client: Client, database: Database, world: World, bad: Bad
) -> None:
    await refuse(client, database, world, bad)


# --------------------------------------------------------------------------- ids

# (tool, argument, an id of the wrong kind, extra changes so that argument is the one used)
ID_ARGUMENTS: list[tuple[str, str, Ref, dict[str, Any]]] = [
    ("get_organization", "organization_id", LOC, {}),
    ("publish_location", "organization_id", PRD, {}),
    ("find_locations", "organization_id", LOC, {}),
    ("create_in_store_offer", "organization_id", LOC, {}),
    ("create_in_store_offer", "location_id", ORG, {}),
    ("create_in_store_offer", "product_id", OFR, {"gtin": OMIT}),
    ("list_in_store_offers", "organization_id", OFR, {}),
    ("list_in_store_offers", "location_id", ORG, {}),
    ("update_location", "location_id", ORG, {}),
    ("unpublish_location", "location_id", OFR, {}),
    ("republish_location", "location_id", PRD, {}),
    ("get_product", "product_id", ORG, {}),
    ("update_in_store_offer", "offer_id", PRD, {}),
]
PREFIX = {"organization_id": "org", "location_id": "loc", "product_id": "prd", "offer_id": "ofr"}


def _id_cases() -> Iterable[Bad]:
    for tool, argument, wrong_kind, extra in ID_ARGUMENTS:
        prefix = PREFIX[argument]
        yield Bad(tool, f"{argument}-of-the-wrong-kind", "invalid_id", {**extra, argument: wrong_kind})
        yield Bad(tool, f"{argument}-prefix-only", "invalid_id", {**extra, argument: f"{prefix}_"})
        yield Bad(tool, f"{argument}-sql", "invalid_id", {**extra, argument: "' OR 1=1 --"})
    yield Bad("get_organization", "organization_id-empty", "invalid_id", {"organization_id": ""})
    yield Bad("get_organization", "organization_id-dash", "invalid_id", {"organization_id": "org-7k3m9x2p4q8r"})
    yield Bad("get_organization", "organization_id-short", "invalid_id", {"organization_id": "org_7k3m9x2p4q8"})
    yield Bad(
        "get_organization", "organization_id-excluded-letters", "invalid_id", {"organization_id": "org_ilou7k3m9x2p"}
    )
    yield Bad(
        "get_organization",
        "organization_id-with-sql-suffix",
        "invalid_id",
        {"organization_id": "org_7k3m9x2p4q8r; DROP TABLE organizations"},
    )


@cases(_id_cases())
async def test_a_malformed_id_or_an_id_of_the_wrong_kind_is_refused_with_invalid_id(
    client: Client, database: Database, world: World, bad: Bad
) -> None:
    await refuse(client, database, world, bad)


async def test_an_id_of_the_wrong_kind_is_named_in_the_message(
    client: Client, database: Database, world: World
) -> None:
    message = await assert_refused(client, database, "get_organization", {"organization_id": world.loc}, "invalid_id")
    assert world.loc in message and "organization id" in message


def _not_found_cases() -> Iterable[Bad]:
    for tool, argument, _wrong_kind, extra in ID_ARGUMENTS:
        unknown = f"{PREFIX[argument]}_000000000000"
        yield Bad(tool, f"unknown-{argument}", "not_found", {**extra, argument: unknown})
    yield Bad("get_organization", "unknown-upper-case-id", "not_found", {"organization_id": "ORG_000000000000"})
    yield Bad("get_product", "unregistered-gtin", "not_found", {"product_id": OMIT, "gtin": UNREGISTERED_GTIN})
    yield Bad("create_in_store_offer", "unregistered-gtin", "not_found", {"gtin": UNREGISTERED_GTIN})
    # A location of another organization is reported exactly like an unknown one.
    yield Bad("create_in_store_offer", "location-of-another-organization", "not_found", {"location_id": OTHER_LOC})
    yield Bad("create_in_store_offer", "location-of-a-brand", "not_found", {"organization_id": BRAND})
    yield Bad("list_in_store_offers", "location-of-another-organization", "not_found", {"location_id": OTHER_LOC})


@cases(_not_found_cases())
async def test_a_well_formed_id_that_does_not_exist_is_refused_with_not_found(
    client: Client, database: Database, world: World, bad: Bad
) -> None:
    await refuse(client, database, world, bad)


async def test_a_location_of_organization_a_cannot_carry_an_offer_of_organization_b(
    client: Client, database: Database, world: World
) -> None:
    before_a = await call(client, "list_in_store_offers", organization_id=world.org)
    arguments = {**BASE["create_in_store_offer"], "organization_id": world.other_org, "location_id": world.loc}
    message = await assert_refused(client, database, "create_in_store_offer", arguments, "not_found")
    assert world.loc in message
    after_b = await call(client, "list_in_store_offers", organization_id=world.other_org)
    assert after_b["total"] == 0 and after_b["offers"] == []
    assert await call(client, "list_in_store_offers", organization_id=world.org) == before_a


# --------------------------------------------------------------------------- over-long strings


def _too_long(limit: int) -> str:
    return "x" * (limit + 1)


@cases(
    [
        Bad("create_organization", "name-201", "value_too_long", {"name": _too_long(200)}),
        Bad("create_organization", "website-501", "value_too_long", {"website": _too_long(500)}),
        Bad("get_organization", "organization_id-65", "value_too_long", {"organization_id": _too_long(64)}),
        Bad("publish_location", "name-201", "value_too_long", {"name": _too_long(200)}),
        Bad("publish_location", "address_line1-201", "value_too_long", {"address_line1": _too_long(200)}),
        Bad("publish_location", "address_line2-201", "value_too_long", {"address_line2": _too_long(200)}),
        Bad("publish_location", "city-101", "value_too_long", {"city": _too_long(100)}),
        Bad("publish_location", "region-101", "value_too_long", {"region": _too_long(100)}),
        Bad("publish_location", "postal_code-21", "value_too_long", {"postal_code": _too_long(20)}),
        Bad("publish_location", "phone-41", "value_too_long", {"phone": _too_long(40)}),
        Bad("publish_location", "website-501", "value_too_long", {"website": "https://" + _too_long(492)}),
        Bad("publish_location", "timezone-65", "value_too_long", {"timezone": _too_long(64)}),
        Bad("publish_location", "organization_id-65", "value_too_long", {"organization_id": _too_long(64)}),
        Bad("update_location", "name-201", "value_too_long", {"name": _too_long(200)}),
        Bad("update_location", "city-101", "value_too_long", {"city": _too_long(100)}),
        Bad("update_location", "phone-41", "value_too_long", {"phone": _too_long(40)}),
        Bad("update_location", "location_id-65", "value_too_long", {"location_id": _too_long(64)}),
        Bad("unpublish_location", "location_id-65", "value_too_long", {"location_id": _too_long(64)}),
        Bad("republish_location", "location_id-65", "value_too_long", {"location_id": _too_long(64)}),
        Bad("find_locations", "organization_id-65", "value_too_long", {"organization_id": _too_long(64)}),
        Bad("register_product", "name-301", "value_too_long", {"name": _too_long(300)}),
        Bad("register_product", "brand-201", "value_too_long", {"brand": _too_long(200)}),
        Bad("register_product", "category-201", "value_too_long", {"category": _too_long(200)}),
        Bad("register_product", "description-2001", "value_too_long", {"description": _too_long(2000)}),
        Bad("register_product", "gtin-33", "value_too_long", {"gtin": "0" * 33}),
        Bad("register_product", "eleven-image-urls", "value_too_long", {"image_urls": ["https://img.example/a"] * 11}),
        Bad("register_product", "image-url-501", "value_too_long", {"image_urls": ["https://" + _too_long(492)]}),
        Bad("get_product", "product_id-65", "value_too_long", {"product_id": _too_long(64)}),
        Bad("create_in_store_offer", "sku-65", "value_too_long", {"sku": _too_long(64)}),
        Bad("create_in_store_offer", "currency-4", "value_too_long", {"currency": "USDX"}),
        Bad("update_in_store_offer", "currency-4", "value_too_long", {"currency": "EURO"}),
        Bad("update_in_store_offer", "offer_id-65", "value_too_long", {"offer_id": _too_long(64)}),
        Bad("list_in_store_offers", "cursor-201", "value_too_long", {"cursor": _too_long(200)}),
        Bad("search_local_products", "query-201", "value_too_long", {"query": "drill " * 33 + "xxx"}),
        Bad("check_product_availability", "gtin-33", "value_too_long", {"gtin": "0" * 33}),
    ]
)
async def test_a_string_one_character_over_its_limit_is_refused_with_value_too_long(
    client: Client, database: Database, world: World, bad: Bad
) -> None:
    await refuse(client, database, world, bad)


async def test_a_string_exactly_at_its_limit_is_accepted_and_stored_whole(client: Client, world: World) -> None:
    name = "n" * 200
    created = await call(client, "create_organization", name=name)
    assert (await call(client, "get_organization", organization_id=created["id"]))["name"] == name


# --------------------------------------------------------------------------- queries

EMPTY_QUERIES = {
    "empty": "",
    "spaces": "   ",
    "tabs-and-newlines": "\t\n",
    "punctuation": "?!",
    "sql-comment": "--",
    "quotes": "'\"",
    "like-wildcards": "%_%",
    "inverted-punctuation": "¿¡…",
    "sql-punctuation": "'; --",
}


@cases(Bad("search_local_products", label, "empty_query", {"query": query}) for label, query in EMPTY_QUERIES.items())
async def test_a_query_without_letters_or_digits_is_refused_with_empty_query(
    client: Client, database: Database, world: World, bad: Bad
) -> None:
    await refuse(client, database, world, bad)


# --------------------------------------------------------------------------- cursors


def _cursor_of(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


TAMPERED_CURSORS = {
    "not-base64": "garbage!",
    "wrong-prefix": _cursor_of("x:1"),
    "negative": _cursor_of("o:-1"),
    "no-number": _cursor_of("o:"),
    "sql": _cursor_of("o:1 OR 1=1"),
    "just-past-32-bits": _cursor_of("o:2147483648"),
    "huge-number": _cursor_of("o:" + "9" * 25),
    "binary": base64.urlsafe_b64encode(b"\xff\xfe\x00:1").decode(),
}


@pytest.mark.parametrize("cursor", TAMPERED_CURSORS.values(), ids=TAMPERED_CURSORS.keys())
async def test_a_tampered_cursor_is_refused_with_invalid_cursor(
    client: Client, database: Database, world: World, cursor: str
) -> None:
    await call(client, "create_in_store_offer", **_resolve({**BASE["create_in_store_offer"]}, world))
    first = await call(client, "list_in_store_offers", organization_id=world.org, limit=1)
    assert first["next_cursor"], "two offers with limit=1 must give a second page"
    second = await call(client, "list_in_store_offers", organization_id=world.org, limit=1, cursor=first["next_cursor"])
    assert [offer["id"] for offer in second["offers"]] != [offer["id"] for offer in first["offers"]]

    arguments = {"organization_id": world.org, "limit": 1, "cursor": cursor}
    await assert_refused(client, database, "list_in_store_offers", arguments, "invalid_cursor")


# --------------------------------------------------------------------------- opening hours and time zones


@cases(
    Bad(tool, label, "invalid_opening_hours", {"opening_hours": hours})
    for tool in ("publish_location", "update_location")
    for label, hours in {
        "unknown-weekday": {"funday": []},
        "capitalised-weekday": {"Mon": [["09:00", "18:00"]]},
        "hour-25": {"mon": [["09:00", "25:00"]]},
        "minute-60": {"mon": [["09:60", "18:00"]]},
        "one-digit-hour": {"mon": [["9:00", "18:00"]]},
        "open-without-close": {"mon": [["09:00"]]},
        "empty-interval": {"mon": [["10:00", "10:00"]]},
        "opens-at-24": {"mon": [["24:00", "02:00"]]},
        "string-instead-of-intervals": {"mon": "09:00-18:00"},
        "seven-intervals": {"mon": [[f"0{h}:00", f"0{h}:30"] for h in range(7)]},
    }.items()
)
async def test_malformed_opening_hours_are_refused_with_invalid_opening_hours(
    client: Client, database: Database, world: World, bad: Bad
) -> None:
    await refuse(client, database, world, bad)


@cases(
    Bad(tool, label, "invalid_timezone", {"timezone": zone})
    for tool in ("publish_location", "update_location")
    for label, zone in {
        "mars": "Mars/Olympus",
        "empty": "",
        "path-traversal": "../../etc/passwd",
        "offset": "UTC+25",
        "made-up-city": "America/Springfield_Gorge",
    }.items()
)
async def test_an_unknown_time_zone_is_refused_with_invalid_timezone(
    client: Client, database: Database, world: World, bad: Bad
) -> None:
    await refuse(client, database, world, bad)


# --------------------------------------------------------------------------- publishing without coordinates


@cases(
    Bad("publish_location", label, "coordinates_required", {"latitude": OMIT, "longitude": OMIT, **changes})
    for label, changes in {
        "german-postal-code": {"country": "DE", "postal_code": "10115"},
        "uk-postcode": {"country": "GB", "postal_code": "SW1A 1AA"},
        "canadian-postal-code": {"country": "CA", "postal_code": "M5V 3L9"},
        "unknown-us-zip": {"postal_code": "00000"},
        "letters-as-us-zip": {"postal_code": "ABCDE"},
        "no-postal-code": {},
    }.items()
)
async def test_publishing_without_coordinates_where_the_postal_code_cannot_be_located_needs_coordinates(
    client: Client, database: Database, world: World, bad: Bad
) -> None:
    message = await refuse(client, database, world, bad)
    assert "latitude" in message and "longitude" in message


async def test_a_brand_cannot_publish_a_store_location(client: Client, database: Database, world: World) -> None:
    arguments = {**_resolve(BASE["publish_location"], world), "organization_id": world.brand}
    await assert_refused(client, database, "publish_location", arguments, "wrong_organization_kind")


# --------------------------------------------------------------------------- duplicates


@pytest.mark.parametrize(
    "changes",
    [
        {"gtin": DRILL_GTIN},
        {"gtin": "0 36000 29145 2"},
        {"gtin": "00036000291452"},
        {"gtin": None, "product_id": PRD},
        {"gtin": DRILL_GTIN, "sku": "  A1  "},
    ],
    ids=["same-gtin", "gtin-with-spaces", "gtin-14", "by-product-id", "sku-with-padding"],
)
async def test_a_second_offer_for_the_same_product_location_and_sku_is_a_duplicate_offer(
    client: Client, database: Database, world: World, changes: dict[str, Any]
) -> None:
    before = await call(client, "list_in_store_offers", organization_id=world.org)
    arguments = {
        "organization_id": world.org,
        "location_id": world.loc,
        "sku": "A1",
        "price_minor": 1,
        "quantity_on_hand": 99,
        "status": "in_stock",
        **{key: _resolve(value, world) for key, value in changes.items() if value is not None},
    }
    message = await assert_refused(client, database, "create_in_store_offer", arguments, "duplicate_offer")
    assert world.ofr in message
    after = await call(client, "list_in_store_offers", organization_id=world.org)
    assert after == before
    (first,) = after["offers"]
    assert (first["id"], first["price"]["amount_minor"], first["quantity_on_hand"]) == (world.ofr, 9999, 5)


# --------------------------------------------------------------------------- other bad arguments

NUL_STRING = "Alder\x00Hardware"


@cases(
    [
        Bad("create_organization", "blank-name", "invalid_argument", {"name": "   "}),
        Bad("create_organization", "empty-name", "invalid_argument", {"name": ""}),
        Bad("create_organization", "missing-name", "invalid_argument", {"name": OMIT}),
        Bad("create_organization", "unknown-kind", "invalid_argument", {"kind": "supplier"}),
        Bad("publish_location", "three-letter-country", "invalid_argument", {"country": "USA"}),
        Bad("publish_location", "javascript-website", "invalid_argument", {"website": "javascript:alert(1)"}),
        Bad("publish_location", "missing-city", "invalid_argument", {"city": OMIT}),
        Bad("update_location", "nothing-to-change", "invalid_argument", {"name": OMIT}),
        Bad("get_product", "neither-id-nor-gtin", "invalid_argument", {"product_id": OMIT}),
        Bad("get_product", "both-id-and-gtin", "invalid_argument", {"gtin": DRILL_GTIN}),
        Bad("create_in_store_offer", "neither-product-id-nor-gtin", "invalid_argument", {"gtin": OMIT}),
        Bad("create_in_store_offer", "both-product-id-and-gtin", "invalid_argument", {"product_id": PRD}),
        Bad("create_in_store_offer", "unknown-status", "invalid_argument", {"status": "available"}),
        Bad("create_in_store_offer", "blank-sku", "invalid_argument", {"sku": "  "}),
        Bad("update_in_store_offer", "nothing-to-change", "invalid_argument", {"price_minor": OMIT}),
        Bad("list_in_store_offers", "unknown-status", "invalid_argument", {"status": "sold"}),
        Bad("list_in_store_offers", "limit-0", "invalid_argument", {"limit": 0}),
        Bad("list_in_store_offers", "limit-201", "invalid_argument", {"limit": 201}),
        Bad("find_locations", "limit-0", "invalid_argument", {"limit": 0}),
        Bad("search_local_products", "limit-101", "invalid_argument", {"limit": 101}),
        Bad("search_local_products", "in_stock_only-not-a-boolean", "invalid_argument", {"in_stock_only": "maybe"}),
        # PostgreSQL text cannot hold NUL, so it is refused on every backend alike.
        Bad("create_organization", "nul-in-name", "invalid_argument", {"name": NUL_STRING}),
        Bad("publish_location", "nul-in-name", "invalid_argument", {"name": NUL_STRING}),
        Bad("update_location", "nul-in-city", "invalid_argument", {"name": OMIT, "city": "Port\x00land"}),
        Bad("register_product", "nul-in-name", "invalid_argument", {"name": NUL_STRING}),
        Bad("register_product", "nul-in-image-url", "invalid_argument", {"image_urls": ["https://img.example/\x00"]}),
        Bad("create_in_store_offer", "nul-in-sku", "invalid_argument", {"sku": "A\x001"}),
    ]
)
async def test_other_bad_arguments_are_refused_with_invalid_argument(
    client: Client, database: Database, world: World, bad: Bad
) -> None:
    await refuse(client, database, world, bad)


async def test_an_unknown_tool_is_refused_with_invalid_argument(client: Client, database: Database) -> None:
    message = await assert_refused(client, database, "drop_all_tables", {}, "invalid_argument")
    assert "drop_all_tables" in message


# --------------------------------------------------------------------------- strings are data

NASTY = {
    "sql-drop": "Robert'); DROP TABLE products;--",
    "sql-always-true": "%' OR 1=1 --",
    "html-script": "<script>alert(1)</script>",
    "double-quotes": '"quoted"',
    "backslash-quote": "O\\'Brien & Sons \\\\ 100%",
    "cyrillic-confusable": "Аlder Нardware",  # Cyrillic А and Н
    "fullwidth": "ＤＲＩＬＬ ｐｏｗｅｒ",
    "zero-width-and-rtl": "Alder\u200bHard\u202eware",
    "emoji": "Alder 🔨 Hardware",
}


@pytest.mark.parametrize("text", NASTY.values(), ids=NASTY.keys())
async def test_names_with_sql_html_or_unicode_tricks_are_stored_and_returned_verbatim(
    client: Client, database: Database, world: World, text: str
) -> None:
    before = row_counts(database)

    org = await call(client, "create_organization", name=text)
    assert org["name"] == text
    assert (await call(client, "get_organization", organization_id=org["id"]))["name"] == text

    loc = await call(
        client,
        "publish_location",
        organization_id=org["id"],
        name=text,
        address_line1=text,
        city=text,
        region=text,
        phone=text,
        country="US",
        latitude=FAR_LAT,
        longitude=FAR_LON,
    )
    (found,) = (await call(client, "find_locations", latitude=FAR_LAT, longitude=FAR_LON))["locations"]
    assert found["id"] == loc["id"]
    assert [found["name"], found["address"]["line1"], found["address"]["city"], found["address"]["region"]] == [
        text
    ] * 4
    assert found["phone"] == text

    product = await call(
        client, "register_product", gtin=UNREGISTERED_GTIN, name=text, brand=text, category=text, description=text
    )
    fetched = await call(client, "get_product", product_id=product["id"])
    assert [fetched[key] for key in ("name", "brand", "category", "description")] == [text] * 4

    offer = await call(
        client,
        "create_in_store_offer",
        organization_id=org["id"],
        location_id=loc["id"],
        product_id=product["id"],
        sku=text,
        price_minor=100,
        quantity_on_hand=4,
    )
    listed = await call(client, "list_in_store_offers", organization_id=org["id"])
    assert [(o["id"], o["sku"], o["product"]["name"]) for o in listed["offers"]] == [(offer["id"], text, text)]

    after = row_counts(database)
    assert set(after) == set(before), "a table disappeared"
    for table in ("organizations", "locations", "products", "in_store_offers"):
        assert after[table] == before[table] + 1, table
    drill = await call(client, "search_local_products", query="cordless drill", latitude=STORE_LAT, longitude=STORE_LON)
    assert [hit["offer_id"] for hit in drill["results"]] == [world.ofr]


NASTY_QUERIES = {
    **{key: value for key, value in NASTY.items() if key not in ("fullwidth",)},
    "sql-union": "drill' UNION SELECT * FROM organizations --",
    "like-wildcards-in-word": "dr%ll_",
    "nul-byte": "drill\x00",
    "cyrillic-d-in-drill": "ԁrill",
    "tsquery-operators": "drill & !saw | (hammer:*)",
    "fts5-syntax": 'drill NEAR("saw") OR title:*',
}


@pytest.mark.parametrize("query", NASTY_QUERIES.values(), ids=NASTY_QUERIES.keys())
async def test_queries_with_sql_html_or_unicode_tricks_are_searched_as_words(
    client: Client, database: Database, world: World, query: str
) -> None:
    counts, rows = row_counts(database), table_rows(database)
    found = await call(client, "search_local_products", query=query, latitude=STORE_LAT, longitude=STORE_LON)
    assert found["query"] == query
    assert all(term.isalnum() and term.isascii() for term in found["terms"]), found["terms"]
    assert {hit["offer_id"] for hit in found["results"]} <= {world.ofr}
    assert row_counts(database) == counts
    assert table_rows(database) == rows


async def test_an_always_true_sql_condition_in_a_query_does_not_widen_the_match(client: Client, world: World) -> None:
    found = await call(client, "search_local_products", query="%' OR 1=1 --", latitude=STORE_LAT, longitude=STORE_LON)
    assert found["results"] == []


async def test_full_width_letters_are_searched_as_the_plain_word(client: Client, world: World) -> None:
    found = await call(client, "search_local_products", query="ＤＲＩＬＬ", latitude=STORE_LAT, longitude=STORE_LON)
    assert [hit["offer_id"] for hit in found["results"]] == [world.ofr]
