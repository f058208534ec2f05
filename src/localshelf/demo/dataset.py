"""A realistic, deterministic sample of local retail inventory around Portland, Oregon.

`build_dataset(seed)` returns the same data for the same seed on every run and
machine (it uses only seeded `random.Random` streams, integer arithmetic and the
offline `zipcodes` table, never the clock or the global random state):

- retailer organizations, chains and independents, with 77 stores at real ZIP
  codes across Portland, Beaverton, Gresham, Lake Oswego, Tigard, Hillsboro,
  Milwaukie and Vancouver, WA (a few unpublished, to exercise filtering);
- brand organizations owning some product brands, with their GTIN company prefixes;
- ~770 products with valid GTIN-13s under the GS1 demo prefix 952 (stored as GTIN-14);
- ~9,500 in-store offers with mixed stock states and inventory sync ages;
- barcode-less retailer items.

Each part draws from its own stream (seeded from `seed` and the part's name), so
changing one part of the generator does not reshuffle the others.
"""

from __future__ import annotations

import random

from localshelf.demo.catalog import build_catalog
from localshelf.demo.models import (
    DemoDataset,
    DemoLocation,
    DemoOffer,
    DemoOrganization,
    DemoProduct,
    DemoRetailerItem,
)
from localshelf.demo.offers import build_offers, build_retailer_items
from localshelf.demo.retailers import build_brand_owners, build_retailers

__all__ = [
    "DEFAULT_SEED",
    "DemoDataset",
    "DemoLocation",
    "DemoOffer",
    "DemoOrganization",
    "DemoProduct",
    "DemoRetailerItem",
    "build_dataset",
]

DEFAULT_SEED = 20261124


def _stream(seed: int, part: str) -> random.Random:
    # A str seed is hashed with SHA-512 by random.Random: stable across runs and
    # machines, unlike hash().
    return random.Random(f"localshelf-demo:{seed}:{part}")


def build_dataset(seed: int = DEFAULT_SEED) -> DemoDataset:
    catalog = build_catalog(_stream(seed, "catalog"))
    retailers, stores = build_retailers(_stream(seed, "stores"))
    brands = build_brand_owners(catalog.brand_prefixes)
    offers = build_offers(_stream(seed, "offers"), stores, catalog.entries)
    items = build_retailer_items(_stream(seed, "retailer-items"), stores)
    return DemoDataset(
        organizations=retailers + brands,
        locations=tuple(store.location for store in stores),
        products=tuple(entry.product for entry in catalog.entries),
        offers=offers,
        retailer_items=items,
    )
