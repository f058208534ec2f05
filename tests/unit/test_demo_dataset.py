"""The demo data set: big enough, valid, internally consistent and deterministic."""

from __future__ import annotations

import math
import re
from collections import Counter
from datetime import UTC, datetime
from typing import TypeVar

import pytest
import zipcodes

from localshelf.demo.catalog import CatalogEntry, all_categories
from localshelf.demo.dataset import DEFAULT_SEED, DemoDataset, build_dataset
from localshelf.demo.offers import share_for
from localshelf.demo.retailers import RETAILERS
from localshelf.domain.confidence import Confidence, confidence_for
from localshelf.domain.gtin import is_valid_gtin, normalize_gtin
from localshelf.domain.hours import validate_opening_hours, validate_timezone

PORTLAND_METRO = {"lat": (45.2, 45.8), "lon": (-123.2, -122.3)}
K = TypeVar("K")
STATUSES = {"in_stock", "low_stock", "out_of_stock", "discontinued"}


@pytest.fixture(scope="module")
def data() -> DemoDataset:
    return build_dataset()


def test_counts_meet_the_minimums(data: DemoDataset) -> None:
    kinds = Counter(org.kind for org in data.organizations)
    assert 15 <= kinds["retailer"] <= 20
    assert 3 <= kinds["brand"] <= 5
    assert len(data.locations) >= 60
    assert len(data.products) >= 600
    assert len(data.offers) >= 8000
    assert len(data.retailer_items) >= 30


def test_keys_are_unique(data: DemoDataset) -> None:
    assert len({org.key for org in data.organizations}) == len(data.organizations)
    assert len({loc.key for loc in data.locations}) == len(data.locations)
    assert len({p.gtin for p in data.products}) == len(data.products)
    assert len({p.name for p in data.products}) == len(data.products)
    assert len({(o.location_key, o.gtin, o.sku) for o in data.offers}) == len(data.offers)
    assert len({(o.location_key, o.sku) for o in data.offers}) == len(data.offers)
    assert len({(i.location_key, i.sku) for i in data.retailer_items}) == len(data.retailer_items)


def test_references_resolve(data: DemoDataset) -> None:
    kinds = {org.key: org.kind for org in data.organizations}
    locations = {loc.key for loc in data.locations}
    gtins = {p.gtin for p in data.products}
    assert all(kinds.get(loc.organization_key) == "retailer" for loc in data.locations)
    assert all(o.location_key in locations and o.gtin in gtins for o in data.offers)
    assert all(i.location_key in locations for i in data.retailer_items)
    with_stores = {loc.organization_key for loc in data.locations}
    assert with_stores == {key for key, kind in kinds.items() if kind == "retailer"}


def test_every_gtin_is_valid_gtin14(data: DemoDataset) -> None:
    for product in data.products:
        assert is_valid_gtin(product.gtin), product
        assert normalize_gtin(product.gtin) == product.gtin
        assert product.gtin.startswith("0952")  # GS1 prefix reserved for demonstrations


def test_brand_owners_own_their_prefixes(data: DemoDataset) -> None:
    brands = [org for org in data.organizations if org.kind == "brand"]
    retailers = [org for org in data.organizations if org.kind == "retailer"]
    assert all(org.gtin_company_prefixes == () for org in retailers)
    for org in brands:
        assert org.gtin_company_prefixes
        for prefix in org.gtin_company_prefixes:
            assert re.fullmatch(r"952\d{4}", prefix)
            owned = [p for p in data.products if p.gtin[1:].startswith(prefix)]
            assert owned, (org.key, prefix)
            assert len({p.brand for p in owned}) == 1  # a prefix is one brand's


def test_products_look_real(data: DemoDataset) -> None:
    for product in data.products:
        assert product.name and product.brand and product.category
        assert product.brand in product.name
        assert product.description.endswith(".")
        one_sentence = product.description.replace(product.name, "").replace(product.brand, "")
        assert not re.search(r"[a-z]\. [A-Z]", one_sentence), product.description
        assert len(product.image_urls) <= 2
        assert all(url.startswith("https://images.example/") for url in product.image_urls)
    categories = {p.category.split(" > ")[0] for p in data.products}
    assert {"Tools", "Grocery", "Health", "Outdoor", "Electronics", "Books", "Pets", "Toys", "Home"} <= categories


def test_stores_are_in_the_portland_metro(data: DemoDataset) -> None:
    for loc in data.locations:
        assert PORTLAND_METRO["lat"][0] <= loc.latitude <= PORTLAND_METRO["lat"][1], loc
        assert PORTLAND_METRO["lon"][0] <= loc.longitude <= PORTLAND_METRO["lon"][1], loc
        assert loc.country == "US" and loc.region in {"OR", "WA"}
        assert loc.timezone == "America/Los_Angeles" and validate_timezone(loc.timezone)


def test_stores_sit_near_their_real_zip(data: DemoDataset) -> None:
    for loc in data.locations:
        (record,) = zipcodes.matching(loc.postal_code)  # type: ignore[no-untyped-call]
        assert record["state"] == loc.region
        assert loc.city in [record["city"], *record["acceptable_cities"]], loc
        km = _distance_km(loc.latitude, loc.longitude, float(record["lat"]), float(record["long"]))
        assert km < 8, (loc.key, km)
    assert {"Portland", "Beaverton", "Gresham", "Lake Oswego", "Tigard", "Vancouver", "Hillsboro", "Milwaukie"} <= {
        loc.city for loc in data.locations
    }


def test_store_details(data: DemoDataset) -> None:
    for loc in data.locations:
        assert validate_opening_hours(loc.opening_hours) == loc.opening_hours
        assert list(loc.opening_hours) == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        assert loc.phone is not None and re.fullmatch(r"\+1(503|971|360)55501\d\d", loc.phone)
        assert (loc.region == "WA") == loc.phone.startswith("+1360")
        assert loc.website is not None and re.fullmatch(
            r"https://[a-z0-9-]+\.example(/stores/[a-z0-9-]+)?", loc.website
        )
        assert re.fullmatch(r"\d+ \S.*", loc.address_line1)
    assert len({loc.phone for loc in data.locations}) == len(data.locations)
    assert 1 <= sum(not loc.published for loc in data.locations) <= 5
    assert any([] in loc.opening_hours.values() for loc in data.locations)  # closed some days
    assert len({str(loc.opening_hours) for loc in data.locations}) >= 10


def test_offers_are_well_formed(data: DemoDataset) -> None:
    for offer in data.offers:
        assert offer.currency == "USD"
        assert offer.price_minor > 0
        assert offer.quantity_on_hand >= 0
        assert offer.source in {"pos", "manual"}
        assert offer.sku
    assert {o.source for o in data.offers} == {"pos", "manual"}


def test_status_is_consistent_with_quantity(data: DemoDataset) -> None:
    for offer in data.offers:
        if offer.quantity_on_hand == 0:
            assert offer.status in {"out_of_stock", "discontinued"}, offer
        elif offer.quantity_on_hand <= 3:
            assert offer.status == "low_stock", offer
        else:
            assert offer.status == "in_stock", offer


def test_statuses_are_mixed(data: DemoDataset) -> None:
    shares = _shares(Counter(o.status for o in data.offers))
    assert set(shares) == STATUSES
    assert shares["in_stock"] > 0.6
    assert 0.05 < shares["low_stock"] < 0.2
    assert 0.04 < shares["out_of_stock"] < 0.15
    assert 0.01 < shares["discontinued"] < 0.06


def test_sync_ages_give_mixed_confidence(data: DemoDataset) -> None:
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    levels = Counter(
        confidence_for(None if o.last_sync_age is None else now - o.last_sync_age, now) for o in data.offers
    )
    shares = _shares(levels)
    assert 0.38 < shares[Confidence.CONFIRMED] < 0.52
    assert 0.24 < shares[Confidence.LIKELY] < 0.36
    assert 0.14 < shares[Confidence.UNCERTAIN] < 0.26
    assert 0.02 < shares[Confidence.UNKNOWN] < 0.09
    ages = [o.last_sync_age for o in data.offers if o.last_sync_age is not None]
    assert max(ages).days <= 10 and min(ages).total_seconds() > 0


def test_stores_carry_their_kind_of_goods(data: DemoDataset) -> None:
    retailers = {r.key: r for r in RETAILERS}
    store_org = {loc.key: loc.organization_key for loc in data.locations}
    departments = {spec.category: spec.department for spec in all_categories()}
    entries = {p.gtin: CatalogEntry(p, departments[p.category], 0) for p in data.products}
    for offer in data.offers:
        retailer = retailers[store_org[offer.location_key]]
        assert share_for(retailer, entries[offer.gtin]) is not None, (retailer.key, entries[offer.gtin].product)
    per_store = Counter(o.location_key for o in data.offers)
    assert set(per_store) == {loc.key for loc in data.locations}
    assert min(per_store.values()) >= 15


def test_retailer_items_have_no_barcode_and_own_skus(data: DemoDataset) -> None:
    offer_skus = {(o.location_key, o.sku) for o in data.offers}
    for item in data.retailer_items:
        assert (item.location_key, item.sku) not in offer_skus
        assert item.name and item.price_minor > 0 and item.currency == "USD" and item.quantity_on_hand >= 0
    assert len({i.location_key for i in data.retailer_items}) >= 10


def test_same_seed_same_data(data: DemoDataset) -> None:
    assert build_dataset(DEFAULT_SEED) == data
    assert build_dataset() == data


def test_different_seed_different_data(data: DemoDataset) -> None:
    other = build_dataset(DEFAULT_SEED + 1)
    assert other != data
    assert {p.gtin for p in other.products} != {p.gtin for p in data.products}
    assert [loc.latitude for loc in other.locations] != [loc.latitude for loc in data.locations]
    assert [o.sku for o in other.offers[:100]] != [o.sku for o in data.offers[:100]]


def _shares(counts: Counter[K]) -> dict[K, float]:
    total = sum(counts.values())
    return {key: value / total for key, value in counts.items()}


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dlat = math.radians(lat2 - lat1)
    dlon = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6371.0 * math.hypot(dlat, dlon)
