"""How local search results are ordered.

    score = 0.45 * relevance + 0.25 * proximity + 0.15 * stock + 0.15 * freshness

- relevance: mean over query terms of the best field a term (as a word prefix) hits:
  product name 1.0, brand 0.8, category 0.6.
- proximity: 1 - distance_km / radius_km (1 at the store's door, 0 at the radius edge).
- stock: in_stock 1.0, low_stock 0.6, out_of_stock and discontinued 0.
- freshness (from `last_inventory_sync`): confirmed (<1 h) 1.0, likely (<24 h) 0.7,
  uncertain 0.3, never synced 0, so stale inventory ranks lower.

Ties are broken by distance, then by offer id, so the order is total and the same on
every backend. The score is computed in SQL (`localshelf.store.queries`) from these
constants; this module is the single definition.
"""

from __future__ import annotations

from typing import Final

W_RELEVANCE: Final = 0.45
W_PROXIMITY: Final = 0.25
W_STOCK: Final = 0.15
W_FRESHNESS: Final = 0.15

FIELD_WEIGHTS: Final = (("name_doc", 1.0), ("brand_doc", 0.8), ("category_doc", 0.6))
STOCK_SCORES: Final = {"in_stock": 1.0, "low_stock": 0.6, "out_of_stock": 0.0, "discontinued": 0.0}
FRESHNESS_CONFIRMED: Final = 1.0
FRESHNESS_LIKELY: Final = 0.7
FRESHNESS_UNCERTAIN: Final = 0.3
FRESHNESS_UNKNOWN: Final = 0.0

IN_STOCK_STATUSES: Final = ("in_stock", "low_stock")
# Discontinued offers never show in search (the store no longer sells the item).
SEARCHABLE_STATUSES: Final = ("in_stock", "low_stock", "out_of_stock")
