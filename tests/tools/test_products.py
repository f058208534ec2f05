"""The global product catalogue: registration by any barcode form, and lookup."""

from __future__ import annotations

import pytest
from mcp import Client

from localshelf.store.db import Database
from tests.conftest import call, call_error, row_counts

pytestmark = pytest.mark.anyio

# One product, written in every accepted length (UPC-A, EAN-13, GTIN-14).
UPC_A = "036000291452"
EAN_13 = "0036000291452"
GTIN_14 = "00036000291452"


@pytest.mark.parametrize(
    ("written", "gtin14"),
    [
        pytest.param("036000291452", "00036000291452", id="upc-a"),
        pytest.param("4006381333931", "04006381333931", id="ean-13"),
        pytest.param("96385074", "00000096385074", id="ean-8"),
        pytest.param("10036000291459", "10036000291459", id="gtin-14"),
        pytest.param("0 36000 29145 2", "00036000291452", id="upc-a-with-spaces"),
        pytest.param("4-006381-333931", "04006381333931", id="ean-13-with-dashes"),
    ],
)
async def test_a_product_registered_by_any_barcode_length_is_stored_as_gtin_14(
    client: Client, written: str, gtin14: str
) -> None:
    product = await call(client, "register_product", gtin=written, name="Some Product")

    assert product["gtin"] == gtin14
    assert product["created"] is True
    assert product["id"].startswith("prd_")


async def test_registration_returns_every_field_given(client: Client) -> None:
    product = await call(
        client,
        "register_product",
        gtin=UPC_A,
        name="DeWalt 20V MAX Cordless Drill, 1/2 in",
        brand="DeWalt",
        category="Tools > Power Tools",
        description="Compact drill/driver.",
        image_urls=["https://img.example/dcd771.jpg", "https://img.example/dcd771-side.jpg"],
    )

    assert product == {
        "id": product["id"],
        "gtin": GTIN_14,
        "name": "DeWalt 20V MAX Cordless Drill, 1/2 in",
        "brand": "DeWalt",
        "category": "Tools > Power Tools",
        "description": "Compact drill/driver.",
        "image_urls": ["https://img.example/dcd771.jpg", "https://img.example/dcd771-side.jpg"],
        "created": True,
    }
    fetched = await call(client, "get_product", product_id=product["id"])
    assert fetched == {**product, "created": False}


async def test_optional_product_fields_default_to_empty(client: Client) -> None:
    product = await call(client, "register_product", gtin=UPC_A, name="Plain Product")

    assert (product["brand"], product["category"], product["description"]) == (None, None, None)
    assert product["image_urls"] == []


@pytest.mark.parametrize("second_form", [EAN_13, GTIN_14, UPC_A])
async def test_registering_the_same_product_in_another_barcode_form_returns_the_existing_one_unchanged(
    client: Client, database: Database, second_form: str
) -> None:
    first = await call(client, "register_product", gtin=UPC_A, name="DeWalt Drill", brand="DeWalt")
    before = row_counts(database)

    second = await call(client, "register_product", gtin=second_form, name="Renamed Drill", brand="Other")

    assert second == {**first, "created": False}
    assert second["name"] == "DeWalt Drill"
    assert row_counts(database) == before
    assert (await call(client, "get_product", gtin=UPC_A))["name"] == "DeWalt Drill"


async def test_different_barcodes_are_different_products(client: Client) -> None:
    drill = await call(client, "register_product", gtin=UPC_A, name="Drill")
    pens = await call(client, "register_product", gtin="4006381333931", name="Pens")

    assert drill["id"] != pens["id"]
    assert (await call(client, "get_product", gtin="4006381333931"))["name"] == "Pens"


async def test_get_product_by_id_returns_the_product(client: Client) -> None:
    product = await call(client, "register_product", gtin=UPC_A, name="DeWalt Drill", brand="DeWalt")

    fetched = await call(client, "get_product", product_id=product["id"])

    assert fetched == {**product, "created": False}


@pytest.mark.parametrize("form", [UPC_A, EAN_13, GTIN_14, "0 36000 29145 2", " 036000-291452 "])
async def test_get_product_by_gtin_accepts_every_form_of_the_barcode(client: Client, form: str) -> None:
    product = await call(client, "register_product", gtin=UPC_A, name="DeWalt Drill")

    fetched = await call(client, "get_product", gtin=form)

    assert fetched["id"] == product["id"]
    assert fetched["gtin"] == GTIN_14
    assert fetched["created"] is False


async def test_get_product_by_an_unregistered_gtin_is_not_found(client: Client) -> None:
    await call(client, "register_product", gtin=UPC_A, name="DeWalt Drill")

    code, message = await call_error(client, "get_product", gtin="4006381333931")

    assert code == "not_found"
    assert "04006381333931" in message


async def test_get_product_needs_a_product_id_or_a_gtin(client: Client) -> None:
    code, message = await call_error(client, "get_product")

    assert code == "invalid_argument"
    assert "exactly one of product_id or gtin" in message


async def test_get_product_refuses_both_a_product_id_and_a_gtin(client: Client) -> None:
    product = await call(client, "register_product", gtin=UPC_A, name="DeWalt Drill")

    code, message = await call_error(client, "get_product", product_id=product["id"], gtin=UPC_A)

    assert code == "invalid_argument"
    assert "exactly one of product_id or gtin" in message
