"""Full sync from the Shopify fake (answering instantly) versus a naive one-row-at-a-time ORM upsert.

Each run happens in a spawned child process so its peak RSS (`VmHWM`, the high-water resident set, which starts afresh at exec) is its own; the child connects and
maps the shop in a fresh database, then times either the real `SyncRunner` or the naive baseline
(select-then-insert/update per offer, commit per row) on the same data (N SKUs x 3 locations, seeded). The
sync reads the fake over real HTTP from a process of its own (`shopify_setup.remote_fake`), as it would read
Shopify: the child's RSS is localshelf's, not the fake's catalog, and the fake's time still counts (the sync
waits for its answers). The baseline reads the fake's catalog from memory in the child. The naive baseline runs on the first `BASELINE_OFFERS` offers only and is reported as a rate (its
seconds are extrapolated to the full catalog).
"""

from __future__ import annotations

import os
import resource
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from multiprocessing import get_context
from pathlib import Path
from time import perf_counter

import anyio
from sqlalchemy import func, select

from benchmarks import cpu
from benchmarks.cpu import CpuSeconds
from benchmarks.databases import bench_database
from benchmarks.report import Measure
from benchmarks.scales import Scale
from benchmarks.shopify_setup import map_and_queue, remote_fake, run_queued_sync, url_of, utcnow
from localshelf.domain.gtin import is_valid_gtin, normalize_gtin
from localshelf.domain.ids import new_public_id
from localshelf.fakes.shopify import Product as FakeProduct
from localshelf.fakes.shopify import gid
from localshelf.fakes.shopify.state import Variant
from localshelf.services import sync_jobs
from localshelf.services.pos_gateway import HttpFactory
from localshelf.services.products import search_fields
from localshelf.store.db import Database
from localshelf.store.models import InStoreOffer, Location, Organization, Product
from tests.integration.shopify_harness import Connected, connected_shop

SUITE = "sync"
LOCATIONS, SEED = 3, 11
BASELINE_OFFERS = 3_000
SIZES = {"tiny": (100,), "town": (1_000, 10_000), "city": (1_000, 10_000, 100_000)}
SIZES["country"] = SIZES["city"]
RESYNC_SIZES = (10_000,)  # also timed again as a re-sync (what a scheduled reconciliation of an unchanged shop costs)
SIZES_ENV = "LOCALSHELF_BENCH_SYNC_SIZES"  # e.g. "100000" or "1000,10000": run these sizes instead of the scale's
TARGET_1K_SECONDS, TARGET_OFFERS_PER_S, TARGET_RSS_MB = 2.0, 10_000.0, 300.0


@dataclass(frozen=True)
class Run:
    skus: int  # SKUs written (the naive baseline: those it reached)
    offers: int  # offers written
    seconds: float
    peak_rss_mb: float  # the child's high-water resident set (VmHWM)
    setup_rss_mb: float  # resident set before the timed part (the fake's catalog, imports)
    state: str
    resync_seconds: float | None = None  # a second full sync of the unchanged catalog (RESYNC_SIZES only)
    cpu: CpuSeconds | None = None  # over the timed part: this process, the fake's, PostgreSQL's (`benchmarks.cpu`)

    @property
    def offers_per_s(self) -> float:
        return self.offers / self.seconds

    @property
    def skus_per_s(self) -> float:
        return self.skus / self.seconds

    @property
    def cpu_ms_per_offer(self) -> float | None:
        return None if self.cpu is None or not self.offers else self.cpu.total * 1000 / self.offers


def _status_mb(field: str) -> float | None:
    status = Path("/proc/self/status")
    if not status.exists():
        return None
    for line in status.read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return None


def _rss_mb() -> float:
    return _status_mb("VmRSS") or 0.0


def _peak_rss_mb() -> float:
    # VmHWM, not ru_maxrss: ru_maxrss survives exec, so a child spawned by a runner that already holds a city's
    # search data would report the runner's size (every run read 195.6 MB). VmHWM starts afresh with the new image.
    return _status_mb("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _offer_count(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(InStoreOffer)) or 0


def _status(product: FakeProduct, quantity: int) -> str:
    if product.status != "ACTIVE":
        return "discontinued"
    return "out_of_stock" if quantity <= 0 else "low_stock" if quantity <= 3 else "in_stock"


@dataclass(frozen=True)
class NaiveOffer:
    organization_pk: int
    location_pk: int
    product: FakeProduct
    variant: Variant
    quantity: int


def _naive_upsert_offer(database: Database, wanted: NaiveOffer) -> None:
    """One offer the naive way: select the product, insert it if missing, select the offer, insert or update it."""
    product, variant, location_pk = wanted.product, wanted.variant, wanted.location_pk
    gtin = normalize_gtin(variant.barcode or "")
    with database.session() as session:
        row = session.scalar(select(Product).where(Product.gtin == gtin))
        if row is None:
            row = Product(
                public_id=new_public_id("product"),
                gtin=gtin,
                name=product.title,
                brand=product.vendor,
                category=product.product_type,
                image_urls=[],
                **search_fields(product.title, product.vendor, product.product_type),
            )
            session.add(row)
            session.flush()
        sku = variant.sku or gid("ProductVariant", variant.id)
        offer = session.scalar(
            select(InStoreOffer).where(
                InStoreOffer.product_id == row.id, InStoreOffer.location_id == location_pk, InStoreOffer.sku == sku
            )
        )
        if offer is None:
            offer = InStoreOffer(
                public_id=new_public_id("offer"),
                organization_id=wanted.organization_pk,
                location_id=location_pk,
                product_id=row.id,
                sku=sku,
                currency="USD",
                source="pos",
            )
            session.add(offer)
        offer.price_minor = int(Decimal(variant.price) * 100)
        offer.quantity_on_hand = max(wanted.quantity, 0)
        offer.status = _status(product, wanted.quantity)
        session.commit()


def _location_pks(shop: Connected) -> dict[int, int]:
    """POS location id (the fake's number) -> localshelf location pk."""
    with shop.database.session() as session:
        pks = dict(session.execute(select(Location.public_id, Location.id)).tuples().all())
    return {int(pos.rsplit("/", 1)[1]): pks[store] for pos, store in shop.stores.items()}


def _naive_upsert(shop: Connected, limit: int) -> tuple[int, int]:
    """The baseline over the fake's catalog, up to `limit` offers; (SKUs, offers) written."""
    with shop.database.session() as session:
        organization_pk = session.scalar(select(Organization.id).where(Organization.public_id == shop.organization_id))
    assert organization_pk is not None
    locations = _location_pks(shop)
    skus = offers = 0
    for product in shop.shop.products.values():
        for variant in product.variants:
            if offers >= limit or not variant.barcode or not is_valid_gtin(variant.barcode):
                continue
            for pos_id, location_pk in locations.items():
                quantity = shop.shop.levels.get((variant.inventory_item_id, pos_id), 0)
                wanted = NaiveOffer(organization_pk, location_pk, product, variant, quantity)
                _naive_upsert_offer(shop.database, wanted)
                offers += 1
            skus += 1
    return skus, offers


async def _measure_naive(database: Database, skus: int) -> Run:
    shop = connected_shop(database, products=skus, locations_count=LOCATIONS, seed=SEED)
    await map_and_queue(shop)
    setup_rss = _rss_mb()
    before, started = cpu.snapshot(None, postgres=database.dialect == "postgresql"), perf_counter()
    written, offers = await anyio.to_thread.run_sync(_naive_upsert, shop, BASELINE_OFFERS)
    seconds, used = perf_counter() - started, cpu.snapshot(None, postgres=database.dialect == "postgresql") - before
    return Run(written, offers, seconds, _peak_rss_mb(), setup_rss, "naive", cpu=used)


async def _measure_sync(database: Database, skus: int) -> Run:
    shop = connected_shop(database, products=0, locations_count=LOCATIONS, seed=SEED)  # same location ids
    with remote_fake(shop, skus, LOCATIONS, SEED) as fake:
        await map_and_queue(shop, fake.http)
        setup_rss = _rss_mb()
        on_postgres = database.dialect == "postgresql"
        before, started = cpu.snapshot(fake.pid, on_postgres), perf_counter()
        state = await run_queued_sync(shop, fake.http)
        seconds, used = perf_counter() - started, cpu.snapshot(fake.pid, on_postgres) - before
        resync_seconds = await _time_resync(shop, fake.http) if skus in RESYNC_SIZES else None
    # the sync handles every POS item (barcode-less ones become retailer items); the baseline only GTIN offers
    offers = _offer_count(database)
    return Run(fake.variants, offers, seconds, _peak_rss_mb(), setup_rss, state, resync_seconds, used)


async def _time_resync(shop: Connected, http: HttpFactory) -> float:
    """A second full sync of the same catalog: every offer exists and is unchanged (stock confirmed, rows kept)."""
    await shop.database.run(sync_jobs.request_sync, shop.integration_id, "full", utcnow())
    started = perf_counter()
    state = await run_queued_sync(shop, http)
    if state != "succeeded":
        raise RuntimeError(f"the re-sync ended {state}")
    return perf_counter() - started


async def _measure(url: str, skus: int, naive: bool) -> Run:
    database = Database.from_url(url)
    try:
        return await (_measure_naive(database, skus) if naive else _measure_sync(database, skus))
    finally:
        database.dispose()


def measure_in_child(url: str, skus: int, naive: bool) -> Run:
    """Entry point of the spawned child."""
    return anyio.run(_measure, url, skus, naive)


def _spawned(backend: str, scale: Scale, workdir: Path, skus: int, naive: bool) -> Run:
    with (
        bench_database(SUITE, scale.name, backend, workdir) as database,
        ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool,
    ):
        return pool.submit(measure_in_child, url_of(database), skus, naive).result()


def _measures(backend: str, scale: Scale, skus: int, sync: Run, naive: Run) -> list[Measure]:
    label = f"full sync {skus:,} SKUs x {LOCATIONS} [{backend}]"
    notes: dict[str, object] = {
        "scale": scale.name,
        "backend": backend,
        "offers": sync.offers,
        "job_state": sync.state,
        "baseline_sample_offers": naive.offers,
        "setup_rss_mb": round(sync.setup_rss_mb, 1),
    }
    is_1k, is_100k = skus == 1_000, skus >= 100_000
    naive_seconds = sync.offers / naive.offers_per_s
    naive_name = f"naive ORM row-at-a-time ({naive.offers:,}-offer sample)"
    return [
        Measure(
            SUITE,
            f"{label}: seconds",
            sync.seconds,
            "s",
            naive_seconds,
            naive_name + ", extrapolated",
            f"<= {TARGET_1K_SECONDS:g} s" if is_1k else None,
            sync.seconds <= TARGET_1K_SECONDS and sync.state == "succeeded" if is_1k else None,
            notes,
        ),
        Measure(
            SUITE,
            f"{label}: offers/s",
            sync.offers_per_s,
            "offers/s",
            naive.offers_per_s,
            naive_name,
            f">= {TARGET_OFFERS_PER_S:,.0f} offers/s" if is_100k else None,
            sync.offers_per_s >= TARGET_OFFERS_PER_S if is_100k else None,
            notes,
        ),
        Measure(SUITE, f"{label}: SKUs/s", sync.skus_per_s, "SKUs/s", naive.skus_per_s, naive_name, notes=notes),
        Measure(
            SUITE,
            f"{label}: peak RSS",
            sync.peak_rss_mb,
            "MB",
            naive.peak_rss_mb,
            naive_name,
            f"<= {TARGET_RSS_MB:g} MB" if is_100k else None,
            sync.peak_rss_mb <= TARGET_RSS_MB if is_100k else None,
            notes,
        ),
        *_resync_measures(label, sync, notes),
        *_cpu_measures(label, sync, naive, naive_name, notes),
    ]


def _resync_measures(label: str, sync: Run, notes: dict[str, object]) -> list[Measure]:
    if sync.resync_seconds is None:
        return []
    name = "the first sync of the same catalog, same run"
    return [Measure(SUITE, f"{label}: re-sync seconds", sync.resync_seconds, "s", sync.seconds, name, notes=notes)]


def _cpu_measures(label: str, sync: Run, naive: Run, naive_name: str, notes: dict[str, object]) -> list[Measure]:
    """CPU per offer, all parties together: what bounds offers/s once every core is busy. The notes give each
    party's seconds, how many cores the sync kept busy on average, and the rate this machine's cores could reach
    at this CPU cost were they all busy the whole time."""
    if sync.cpu is None or sync.cpu_ms_per_offer is None or naive.cpu_ms_per_offer is None:
        return []
    cores = os.cpu_count() or 1
    used = sync.cpu
    cpu_notes = {
        **notes,
        "cpu_seconds": {"app": round(used.app, 2), "fake": _rounded(used.fake), "postgres": _rounded(used.postgres)},
        "cores_busy": round(used.total / sync.seconds, 2),
        "cores": cores,
        "offers_per_s_if_every_core_busy": round(cores * 1000 / sync.cpu_ms_per_offer),
    }
    return [
        Measure(
            SUITE,
            f"{label}: CPU per offer",
            sync.cpu_ms_per_offer,
            "ms",
            naive.cpu_ms_per_offer,
            naive_name,
            notes=cpu_notes,
        ),
        Measure(
            SUITE,
            f"{label}: cores busy",
            used.total / sync.seconds,
            "cores",
            float(cores),
            "this machine's cores",
            notes=cpu_notes,
        ),
    ]


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 2)


def sizes(scale: Scale) -> tuple[int, ...]:
    """The catalog sizes to sync: the scale's, unless LOCALSHELF_BENCH_SYNC_SIZES names others."""
    chosen = os.environ.get(SIZES_ENV, "").strip()
    if not chosen:
        return SIZES[scale.name]
    try:
        return tuple(int(part.strip().replace("_", "")) for part in chosen.split(","))
    except ValueError:
        raise SystemExit(f"{SIZES_ENV} must be comma-separated SKU counts, got {chosen!r}") from None


def run(scale: Scale, backends: list[str], workdir: Path) -> list[Measure]:
    measures: list[Measure] = []
    for backend in backends:
        for skus in sizes(scale):
            sync = _spawned(backend, scale, workdir, skus, naive=False)
            naive = _spawned(backend, scale, workdir, skus, naive=True)
            measures += _measures(backend, scale, skus, sync, naive)
    return measures
