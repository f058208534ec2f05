"""In-store offers (stock of catalog products) and barcode-less retailer items.

A chain picks one core assortment and one SKU and price per product; each store
then carries most of the core plus a few local extras, with its own stock level
and time since its last inventory sync. Independents do the same for their one
store.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import timedelta

from localshelf.demo.catalog import CatalogEntry, charm_price
from localshelf.demo.models import DemoOffer, DemoRetailerItem
from localshelf.demo.retailers import RetailerSpec, Store

CURRENCY = "USD"
KEEP_CORE = 0.93  # share of the chain's core assortment a store carries
LOCAL_EXTRA = 0.04  # chance a store carries a matching product outside the core
LOCAL_MARKDOWN = 0.06  # chance a store marks an item down from the chain price

# Typical most units on the shelf, by department.
MAX_STOCK = {
    "hardware": 30,
    "grocery": 60,
    "health": 40,
    "outdoor": 14,
    "electronics": 18,
    "books": 8,
    "pets": 24,
    "toys": 15,
    "home": 20,
}

# Status mix: (status, weight); quantities follow from the status.
STATUS_WEIGHTS = (("in_stock", 77), ("low_stock", 11), ("out_of_stock", 9), ("discontinued", 3))

# How long ago inventory was synced: (bucket, weight) for POS-fed and manually kept stores.
SYNC_WEIGHTS = {
    "pos": (("fresh", 47), ("today", 31), ("stale", 18), ("never", 4)),
    "manual": (("fresh", 12), ("today", 27), ("stale", 43), ("never", 18)),
}

# Barcode-less goods (name, price in cents) a kind of retailer sells.
LOCAL_ITEMS: dict[str, tuple[tuple[str, int], ...]] = {
    "hardware": (
        ("House key blank KW1", 199),
        ("Manila rope 1/2 in, per foot", 89),
        ("Bulk 16d common nails, per lb", 399),
        ("Galvanized chain 3/16 in, per foot", 249),
        ("Propane tank exchange, 20 lb", 2499),
        ("Cedar fence board 1x6x6 ft", 549),
        ("Window glass cut to size, per sq ft", 899),
    ),
    "grocery": (
        ("Deli potato salad, per lb", 699),
        ("House sourdough boule", 649),
        ("Bulk rolled oats, per lb", 199),
        ("Rotisserie chicken", 1099),
        ("Bulk Willamette Valley hazelnuts, per lb", 1299),
        ("Fresh-cut flower bouquet", 1499),
        ("Local wildflower honey, 16 oz jar", 1199),
    ),
    "health": (
        ("Compounded lavender salve, 2 oz", 1499),
        ("House elderberry syrup, 8 oz", 1899),
        ("Loose chamomile tea, per oz", 349),
        ("Handmade fir needle soap bar", 799),
    ),
    "outdoor": (
        ("Consignment down jacket, men's M", 8500),
        ("Consignment sleeping bag, 20°F", 6000),
        ("Forest Park trail map (printed in store)", 500),
        ("Bulk trail mix, per lb", 899),
        ("Repair patch kit (house-made)", 700),
    ),
    "records": (
        ("Used vinyl LP – jazz", 1500),
        ("Used vinyl LP – rock", 1200),
        ("Refurbished turntable (serviced in store)", 14900),
        ("Speaker wire 16 AWG, per foot", 99),
        ("Used cassette tape", 400),
    ),
    "electronics": (
        ("Open-box Bluetooth speaker", 3999),
        ("Refurbished wireless mouse", 999),
    ),
    "books": (
        ("Used paperback – fiction", 600),
        ("Used hardcover – cookbooks", 1200),
        ("Signed local author chapbook", 1500),
        ("Staff picks tote bag", 1800),
        ("Literary Portland map print", 2500),
    ),
    "pets": (
        ("Bulk dog biscuits, per lb", 599),
        ("Live crickets, dozen", 299),
        ("Bulk catnip, per oz", 399),
        ("Frozen raw dog food patties (local), 4 lb", 2499),
        ("Engraved pet ID tag", 1299),
    ),
    "toys": (
        ("Handmade wooden yo-yo", 1200),
        ("Hand-knit finger puppet", 900),
        ("Bulk bin marble", 50),
        ("Locally made diamond kite", 3400),
    ),
    "home": (
        ("Hand-thrown ceramic mug (local potter)", 3200),
        ("Beeswax pillar candle", 2200),
        ("Linen tea towel – Portland print", 1800),
        ("Reclaimed fir cutting board", 4500),
    ),
    "variety": (
        ("Hot coffee, 12 oz", 199),
        ("Deli sandwich, made to order", 849),
        ("Ice, 10 lb bag", 399),
        ("Nightcrawlers, dozen", 499),
    ),
}

# Which stores list barcode-less items: every independent (3-5 of them) and, by
# chance, some chain stores (1-2); grocery chain stores always have a deli.
CHAIN_LOCAL_ITEM_CHANCE = 0.35


def matches(selector: str, entry: CatalogEntry) -> bool:
    category = entry.product.category
    return selector in (entry.department, category) or category.startswith(selector + " > ")


def share_for(retailer: RetailerSpec, entry: CatalogEntry) -> float | None:
    for selector, share in retailer.assortment:
        if matches(selector, entry):
            return share
    return None


def build_offers(rng: random.Random, stores: Sequence[Store], catalog: Sequence[CatalogEntry]) -> tuple[DemoOffer, ...]:
    offers: list[DemoOffer] = []
    by_retailer: dict[str, list[Store]] = {}
    for store in stores:
        by_retailer.setdefault(store.retailer.key, []).append(store)
    for retailer_stores in by_retailer.values():
        offers.extend(_retailer_offers(rng, retailer_stores[0].retailer, retailer_stores, catalog))
    return tuple(offers)


def _retailer_offers(
    rng: random.Random, retailer: RetailerSpec, stores: Sequence[Store], catalog: Sequence[CatalogEntry]
) -> list[DemoOffer]:
    candidates = [(entry, share) for entry in catalog if (share := share_for(retailer, entry)) is not None]
    core = {entry.product.gtin for entry, share in candidates if rng.random() < share}
    numbers = _sku_numbers(rng, retailer, len(candidates))
    skus = {entry.product.gtin: _sku(retailer, entry, n) for (entry, _), n in zip(candidates, numbers, strict=True)}
    prices = {
        entry.product.gtin: charm_price(entry.list_price_minor * retailer.price_factor * rng.uniform(0.96, 1.04))
        for entry, _ in candidates
    }
    offers = []
    for store in stores:
        for entry, _ in candidates:
            gtin = entry.product.gtin
            carried = rng.random() < (KEEP_CORE if gtin in core else LOCAL_EXTRA)
            if not carried:
                continue
            price = prices[gtin]
            if rng.random() < LOCAL_MARKDOWN:
                price = charm_price(price * 0.85)
            status, quantity = _stock(rng, entry)
            offers.append(
                DemoOffer(
                    location_key=store.location.key,
                    gtin=gtin,
                    sku=skus[gtin],
                    price_minor=price,
                    currency=CURRENCY,
                    quantity_on_hand=quantity,
                    status=status,
                    source=retailer.source,
                    last_sync_age=_sync_age(rng, retailer.source),
                )
            )
    return offers


def _sku_numbers(rng: random.Random, retailer: RetailerSpec, count: int) -> list[int]:
    if retailer.sku_digits == 0:
        return [0] * count
    return rng.sample(range(10 ** (retailer.sku_digits - 1), 10**retailer.sku_digits), count)


def _sku(retailer: RetailerSpec, entry: CatalogEntry, number: int) -> str:
    if retailer.sku_digits == 0:
        return entry.product.gtin[1:]  # the GTIN-13, as bookshops key books by EAN
    return f"{retailer.sku_prefix}{number:0{retailer.sku_digits}d}"


def _cumulative(weights: tuple[tuple[str, int], ...]) -> tuple[tuple[str, float], ...]:
    total = sum(weight for _, weight in weights)
    running = 0
    table = []
    for value, weight in weights:
        running += weight
        table.append((value, running / total))
    return tuple(table)


_STATUS_TABLE = _cumulative(STATUS_WEIGHTS)
_SYNC_TABLES = {source: _cumulative(weights) for source, weights in SYNC_WEIGHTS.items()}


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    draw = rng.random()
    for value, threshold in table:
        if draw < threshold:
            return value
    return table[-1][0]


def _stock(rng: random.Random, entry: CatalogEntry) -> tuple[str, int]:
    status = _pick(rng, _STATUS_TABLE)
    if status == "in_stock":
        most = MAX_STOCK[entry.department]
        if entry.list_price_minor >= 10000:  # nobody shelves thirty $180 drill kits
            most //= 4
        elif entry.list_price_minor >= 4000:
            most //= 2
        return status, rng.randint(4, max(6, most))
    if status == "low_stock":
        return status, rng.randint(1, 3)
    return status, 0


def _sync_age(rng: random.Random, source: str) -> timedelta | None:
    bucket = _pick(rng, _SYNC_TABLES[source])
    if bucket == "fresh":  # confirmed: within the hour
        return timedelta(seconds=rng.randint(30, 55 * 60))
    if bucket == "today":  # likely: 1-24 hours
        return timedelta(seconds=rng.randint(65 * 60, 23 * 3600))
    if bucket == "stale":  # uncertain: 1-10 days
        return timedelta(seconds=rng.randint(26 * 3600, 10 * 86400))
    return None


def build_retailer_items(rng: random.Random, stores: Sequence[Store]) -> tuple[DemoRetailerItem, ...]:
    items: list[DemoRetailerItem] = []
    counters: dict[str, int] = {}
    for store in stores:
        retailer = store.retailer
        pool = LOCAL_ITEMS[retailer.kind]
        if not retailer.is_chain:
            count = rng.randint(3, min(5, len(pool)))
        elif retailer.kind == "grocery" or rng.random() < CHAIN_LOCAL_ITEM_CHANCE:
            count = rng.randint(1, 2)
        else:
            continue
        for name, base_price in rng.sample(pool, count):
            counters[retailer.key] = number = counters.get(retailer.key, 0) + 1
            items.append(
                DemoRetailerItem(
                    location_key=store.location.key,
                    name=name,
                    sku=f"{retailer.code}-L{number:04d}",
                    price_minor=charm_price(base_price * retailer.price_factor) if base_price >= 100 else base_price,
                    currency=CURRENCY,
                    quantity_on_hand=rng.randint(0, 30),
                )
            )
    return tuple(items)
