"""The demo product catalog: names built from per-category templates, with GTINs.

A category lists groups of (brand, product lines, variants); every combination is
one product, so "Tillamook" x ("Medium Cheddar Cheese", "Sharp Cheddar Cheese") x
("8 oz", "2 lb") gives four products. Brand names are real, well-known ones (plus a
few fictional local brands owned by the demo's brand organizations) but no GTIN is
a real product's: every brand gets a company prefix under GS1 prefix 952, which GS1
reserves for demonstrations and examples, so no code here can name a real product.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from localshelf.demo import catalog_family, catalog_food_health, catalog_home, catalog_leisure
from localshelf.demo.catalog_spec import CategorySpec
from localshelf.demo.models import DemoProduct
from localshelf.domain.gtin import with_check_digit

DEMO_GS1_PREFIX = "952"  # GS1: "demonstrations and examples"
# GS1 prefix + 4-digit company number = 7-digit company prefix, then a 5-digit item
# reference and the check digit: GTIN-13.
COMPANY_NUMBER_RANGE = range(1000, 10000)
ITEM_REFERENCE_RANGE = range(100000)
IMAGE_HOST = "https://images.example"


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    product: DemoProduct
    department: str
    list_price_minor: int


@dataclass(frozen=True, slots=True)
class Catalog:
    entries: tuple[CatalogEntry, ...]
    brand_prefixes: dict[str, str]  # brand name -> 7-digit GTIN company prefix


def all_categories() -> tuple[CategorySpec, ...]:
    return (
        *catalog_home.CATEGORIES,
        *catalog_food_health.CATEGORIES,
        *catalog_leisure.CATEGORIES,
        *catalog_family.CATEGORIES,
    )


def charm_price(cents: float) -> int:
    """Round to a shelf price ending in 9: 3.49, 12.99, 134.99."""
    if cents < 1000:
        return max(99, round(cents / 50) * 50 - 1)
    if cents < 10000:
        return round(cents / 100) * 100 - 1
    return round(cents / 500) * 500 - 1


def _product_name(spec: CategorySpec, brand: str, line: str, variant: str) -> str:
    name = spec.name_format.format(brand=brand, line=line, variant=variant)
    return " ".join(name.split()).replace(" )", ")").replace("( ", "(")


def build_catalog(rng: random.Random) -> Catalog:
    categories = all_categories()
    brands = list(dict.fromkeys(group.brand for spec in categories for group in spec.groups))
    numbers = rng.sample(COMPANY_NUMBER_RANGE, len(brands))
    prefixes = {brand: f"{DEMO_GS1_PREFIX}{number:04d}" for brand, number in zip(brands, numbers, strict=True)}
    used_references: dict[str, set[int]] = {brand: set() for brand in brands}
    names: set[str] = set()
    entries: list[CatalogEntry] = []
    for spec in categories:
        for group in spec.groups:
            low, high = group.price or spec.price
            for line in group.lines:
                base = rng.randint(low, high)
                for index, variant in enumerate(group.variants):
                    name = _product_name(spec, group.brand, line, variant)
                    if name in names:
                        raise ValueError(f"duplicate demo product name {name!r}")
                    names.add(name)
                    gtin = _new_gtin(rng, prefixes[group.brand], used_references[group.brand])
                    views = rng.choices((0, 1, 2), weights=(15, 55, 30))[0]
                    product = DemoProduct(
                        gtin=gtin,
                        name=name,
                        brand=group.brand,
                        description=spec.description.format(name=name, brand=group.brand, line=line, variant=variant),
                        category=spec.category,
                        image_urls=tuple(
                            f"{IMAGE_HOST}/products/{gtin}/{view}.jpg" for view in ("front", "back")[:views]
                        ),
                    )
                    step = spec.variant_step if group.step is None else group.step
                    price = charm_price(base * step**index)
                    entries.append(CatalogEntry(product, spec.department, price))
    return Catalog(entries=tuple(entries), brand_prefixes=prefixes)


def _new_gtin(rng: random.Random, prefix: str, used: set[int]) -> str:
    while True:
        reference = rng.choice(ITEM_REFERENCE_RANGE)
        if reference not in used:
            used.add(reference)
            break
    return with_check_digit(f"{prefix}{reference:05d}").zfill(14)
