"""Counts search impressions and demand in memory, off the hot path; the worker flushes them in one unit of work.

`search_local_products` and `check_product_availability` are read-only and hot: they hand their answer to the
recorder (a few dictionary updates under a lock) and never write. `flush` swaps the pending counts out and
upserts them set-based (store/demand.py); if the database refuses, the counts are merged back for the next
flush, so nothing is lost and nothing is counted twice (every flush writes a disjoint batch).
Only public ids, days, grid cells and brand keys are held: no query text, no coordinates, no caller.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from localshelf.domain import ranking
from localshelf.domain.brands import brand_key
from localshelf.domain.demand import Cell, cell_of, query_brand_keys
from localshelf.services.views import Availability, ProductSummary, SearchResults, StoreStock
from localshelf.store.db import Database
from localshelf.store.demand import DemandKey, ImpressionKey, write_counts

logger = logging.getLogger("localshelf.demand")
# Distinct pending keys past which calls are no longer counted (and the loss is logged): memory stays bounded
# when flushes keep failing or no worker runs in this process.
MAX_PENDING_KEYS = 200_000


@dataclass
class Batch:
    impressions: Counter[ImpressionKey] = field(default_factory=Counter)
    searches: Counter[DemandKey] = field(default_factory=Counter)
    unmet: Counter[DemandKey] = field(default_factory=Counter)

    def __bool__(self) -> bool:
        return bool(self.impressions or self.searches)

    def merge(self, other: Batch) -> None:
        self.impressions.update(other.impressions)
        self.searches.update(other.searches)
        self.unmet.update(other.unmet)


@dataclass(frozen=True)
class FlushResult:
    impression_rows: int
    demand_rows: int


def _day(now: datetime) -> date:
    return (now if now.tzinfo is None else now.astimezone(UTC)).date()


class DemandRecorder:
    """Thread- and task-safe: every method holds the lock only for dictionary updates."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = Batch()
        self._dropped = 0

    def searched(self, results: SearchResults, latitude: float, longitude: float, now: datetime) -> None:
        products = {hit.product.id: hit.product for hit in results.results}
        brands = query_brand_keys(results.query) | _brand_keys(products.values())
        pairs = [(hit, hit.product) for hit in results.results]
        self._record(_day(now), cell_of(latitude, longitude), pairs, products, brands)

    def checked(self, availability: Availability, latitude: float, longitude: float, now: datetime) -> None:
        product = availability.product
        products = {} if product is None else {product.id: product}
        pairs = [] if product is None else [(hit, product) for hit in availability.stores]
        self._record(_day(now), cell_of(latitude, longitude), pairs, products, _brand_keys(products.values()))

    def _record(
        self,
        day: date,
        cell: Cell,
        pairs: Sequence[tuple[StoreStock, ProductSummary]],
        products: dict[str, ProductSummary],
        brands: set[str],
    ) -> None:
        impressions: Counter[ImpressionKey] = Counter()
        met_products: set[str] = set()
        for stock, product in pairs:
            impressions[ImpressionKey(day, stock.store.location_id, product.id)] += 1
            if stock.status in ranking.IN_STOCK_STATUSES:
                met_products.add(product.id)
        met_brands = _brand_keys(products[pid] for pid in met_products)
        subjects = [("product", pid, pid in met_products) for pid in products]
        subjects += [("brand", key, key in met_brands) for key in brands]
        with self._lock:
            if len(self._pending.searches) + len(self._pending.impressions) >= MAX_PENDING_KEYS:
                self._dropped += 1
                return
            self._pending.impressions.update(impressions)
            for kind, value, met in subjects:
                key = DemandKey(day, cell.name, cell.latitude, cell.longitude, kind, value)
                self._pending.searches[key] += 1
                if not met:
                    self._pending.unmet[key] += 1

    def take(self) -> Batch:
        with self._lock:
            batch, self._pending = self._pending, Batch()
            dropped, self._dropped = self._dropped, 0
        if dropped:
            logger.warning("search demand: %d calls were not counted (%d keys pending)", dropped, MAX_PENDING_KEYS)
        return batch

    def give_back(self, batch: Batch) -> None:
        with self._lock:
            self._pending.merge(batch)

    @property
    def pending(self) -> bool:
        with self._lock:
            return bool(self._pending)

    async def flush(self, database: Database) -> FlushResult:
        """Write what was counted since the last flush; on failure keep it for the next one, log, and re-raise."""
        batch = self.take()
        if not batch:
            return FlushResult(0, 0)
        try:
            written = await database.run(write_counts, batch.impressions, batch.searches, batch.unmet)
        except Exception:
            self.give_back(batch)
            logger.exception(
                "search demand flush failed; %d impression and %d demand counts kept for the next flush",
                len(batch.impressions),
                len(batch.searches),
            )
            raise
        except BaseException:  # cancelled before the unit of work ran: nothing was written
            self.give_back(batch)
            raise
        return FlushResult(*written)


def _brand_keys(products: Iterable[ProductSummary]) -> set[str]:
    return {brand_key(product.brand) for product in products if product.brand}
