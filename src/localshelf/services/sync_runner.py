"""Run one claimed sync job: read the POS page by page, stage each page with its checkpoint, then build offers.

Phases, each resumable from the job's checkpoint:
  items        every variant (or, for an incremental job, those changed since the last successful sync)
  stock        every active POS location's levels, mapped or not (unmapped stock is kept, not searchable)
  (full/manual only) variants the listing did not return are deleted in the POS; levels it did not return
  are dropped
  materialize  offers and retailer items rebuilt in batches of POS items (set-based writes)
A job never holds a database transaction open across a network call.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError

from localshelf.config import Settings
from localshelf.pos.catalog import staged_item, staged_stock
from localshelf.pos.contract import CatalogReader, PosAuthError, PosBadResponse, PosError, PosLocation
from localshelf.services import pos_gateway, pos_locations, sync_jobs
from localshelf.services.lanes import CommitOrder, Lanes, PageCheckpoints, lanes
from localshelf.services.materialize import BATCH, Tally, materialize
from localshelf.services.pos_gateway import HttpFactory
from localshelf.services.read_ahead import read_ahead
from localshelf.services.sync_jobs import JobCancelled, JobLost, Ticket
from localshelf.store import pos_staging as staging
from localshelf.store.db import Database, UnitOfWork, is_deadlock
from localshelf.store.models import Integration

logger = logging.getLogger("localshelf.sync")
LANES = 2  # PostgreSQL: units in flight at once, pages being staged or batches being built (SQLite: one writer)
K = TypeVar("K")
T = TypeVar("T")

Progress = Callable[[float, float | None, str], Awaitable[None]]
# Told (provider, end state) when a job ends here: the server counts them (server/metrics.py).
SyncEnded = Callable[[str, str], None]


def unobserved(_provider: str, _state: str) -> None:
    return None


async def _no_progress(_done: float, _total: float | None, _message: str) -> None:
    return None


class NotConnected(Exception):
    pass


def _not_repeated(previous: frozenset[K], page: frozenset[K], what: str) -> frozenset[K]:
    """`page`'s keys, unless they are the previous page's again: a listing never repeats a page, so the POS's
    paging went wrong (a cursor that did not advance, or an offset that skipped a page) and the listing, which a
    full sync would take as complete, cannot be trusted."""
    if page and page == previous:
        raise PosBadResponse(f"it answered the same page of {what} twice in a row, so its listing cannot be trusted")
    return page


def _set_price_terms(uow: UnitOfWork, integration_id: int, currency: str, include_tax: bool) -> None:
    integration = uow.session.get(Integration, integration_id)
    assert integration is not None
    integration.currency, integration.prices_include_tax = currency, include_tax


@dataclass
class Growth:
    """Whether the offers have doubled since the planner's statistics were taken (then the built tables are analyzed
    again). A first sync grows them from nothing and needs fresh statistics as it goes; a sync that rewrites what
    exists does not (it analyzed the built tables eight times, 40 % of a 20k-SKU re-sync's statement time)."""

    known: int  # offers in the statistics
    written: int = 0  # offers created since

    def add(self, created: int) -> None:
        self.written += created

    def doubled(self) -> bool:
        return self.written >= max(self.known, BATCH)

    def refreshed(self) -> None:
        self.known, self.written = self.known + self.written, 0


@dataclass
class SyncRunner:
    database: Database
    settings: Settings
    clock: Callable[[], datetime]
    http: HttpFactory = pos_gateway.default_http
    ended: SyncEnded = unobserved

    async def run(self, ticket: Ticket, progress: Progress = _no_progress) -> None:
        """Run to an end state: succeeded, failed (with a clear message) or cancelled."""
        state, error = "succeeded", None
        try:
            await self._run(ticket, progress)
        except JobLost:
            logger.warning("sync job %s was taken over by another runner; this one stops", ticket.public_id)
            return
        except JobCancelled:
            state = "cancelled"
        except NotConnected:
            state, error = "failed", "The integration is no longer connected; reconnect with start_pos_connect."
        except PosAuthError as exc:
            state, error = (
                "failed",
                f"The POS refused the stored token: {exc.message}. Reconnect with start_pos_connect.",
            )
            await self.database.run(pos_gateway.mark_needs_reauthorization, ticket.integration_id, exc.message)
        except PosError as exc:
            state, error = "failed", f"The POS could not be read: {exc.message}"
        except Exception:
            logger.exception("sync job %s failed", ticket.public_id)
            state, error = "failed", "Internal error while syncing; the job can be retried with trigger_sync."
        await self.database.run(sync_jobs.finish, ticket.job_id, ticket.runner_token, state, error, self.clock())
        self.ended(ticket.provider, state)

    async def _run(self, ticket: Ticket, progress: Progress) -> None:
        account = await pos_gateway.live_account(
            self.database, self.settings, ticket.integration_id, self.http, self.clock()
        )
        if account is None:
            raise NotConnected
        async with pos_gateway.open_catalog(self.settings, account, self.http) as reader:
            currency, include_tax = await reader.shop_currency(), await reader.prices_include_tax()
            await self.database.run(_set_price_terms, ticket.integration_id, currency, include_tax)
            locations = await reader.locations()
            await self.database.run(
                pos_locations.store_pos_locations, ticket.integration_public_id, locations, self.clock()
            )
            checkpoint = ticket.checkpoint
            if checkpoint.get("phase", "items") == "items":
                checkpoint = await self._items(ticket, reader, checkpoint, progress)
            if checkpoint.get("phase") == "stock":
                active = sorted((loc for loc in locations if loc.active), key=lambda loc: loc.external_id)
                checkpoint = await self._stock(ticket, reader, active, checkpoint, progress)
        await self._materialize(ticket, checkpoint, progress)

    async def _save(
        self,
        ticket: Ticket,
        write: Callable[[UnitOfWork], dict[str, int]],
        checkpoint: dict[str, Any] | Callable[[], dict[str, Any]],
        never_back: str | None = None,
    ) -> None:
        """Write a batch (or what closes a phase) and its checkpoint in one unit; a callable checkpoint is asked for
        last."""

        def unit(uow: UnitOfWork) -> None:
            staging.commit_without_flush_wait(uow)
            deltas = write(uow)
            saved = checkpoint() if callable(checkpoint) else checkpoint
            sync_jobs.save_progress(
                uow, ticket.job_id, ticket.runner_token, saved["phase"], saved, deltas, self.clock(), never_back
            )

        await self._retried_on_deadlock(unit)

    async def _save_page(
        self,
        ticket: Ticket,
        write: Callable[[UnitOfWork], None],
        pages: PageCheckpoints,
        page: int,
        told: Callable[[dict[str, int]], Awaitable[None]] | None = None,
    ) -> None:
        """A listing page's unit (in a lane): the page, and the checkpoint and totals of the committed prefix; then
        `told` the totals after each page that checkpoint newly covers."""

        def unit(uow: UnitOfWork) -> int:
            staging.commit_without_flush_wait(uow)
            write(uow)
            saved, totals = pages.for_unit(page)
            sync_jobs.save_progress(
                uow, ticket.job_id, ticket.runner_token, saved["phase"], saved, {}, self.clock(), "page", totals
            )
            return int(saved["page"])

        saved = await self._retried_on_deadlock(unit)
        for totals in pages.committed(page, saved):
            if told is not None:
                await told(totals)

    async def _save_pages_end(
        self, ticket: Ticket, pages: PageCheckpoints, told: Callable[[dict[str, int]], Awaitable[None]] | None = None
    ) -> None:
        """Every page handed out committed: save the last checkpoint and totals. The last page to commit may have
        asked for its checkpoint before the pages before it were counted committed, and saved an earlier one."""
        await self._save_page(ticket, lambda _uow: None, pages, pages.last, told)

    async def _retried_on_deadlock(self, unit: Callable[[UnitOfWork], T]) -> T:
        """A unit PostgreSQL rolled back to break a deadlock runs again once the other one's locks are gone: two
        lanes' units may share rows (a GTIN, a SKU; an item two pages of a listing both return)."""
        try:
            return await self.database.run(unit)
        except DBAPIError as exc:
            if not is_deadlock(exc):
                raise
            return await self.database.run(unit)

    def _lanes(self) -> AbstractAsyncContextManager[Lanes]:
        return lanes(LANES if self.database.dialect == "postgresql" else 1)

    async def _items(
        self, ticket: Ticket, reader: CatalogReader, checkpoint: dict[str, Any], progress: Progress
    ) -> dict[str, Any]:
        since = ticket.last_success_started_at if ticket.kind == "incremental" else None
        full = ticket.kind != "incremental"
        previous: frozenset[str] = frozenset()
        counted = {name: ticket.counters.get(name, 0) for name in ("items_seen", "products_seen", "errors")}
        numbered = PageCheckpoints({**checkpoint, "phase": "items"}, counted)

        async def told(totals: dict[str, int]) -> None:
            await progress(totals["items_seen"], None, f"read {totals['items_seen']} POS items")

        pages = reader.items(after=checkpoint.get("cursor"), updated_since=since)
        async with read_ahead(pages) as pages_ahead, self._lanes() as running:
            async for page in pages_ahead:
                previous = _not_repeated(previous, frozenset(item.external_id for item in page.items), "items")
                now = self.clock()
                rows = list({row["external_id"]: row for row in (staged_item(i, now) for i in page.items)}.values())
                products = len({item.product_external_id for item in page.items})
                following = {"phase": "items", "cursor": page.next_cursor} if page.next_cursor else {"phase": "stock"}

                def write(uow: UnitOfWork, rows: list[dict[str, Any]] = rows) -> None:
                    staging.upsert_items(uow, ticket.integration_id, rows, ticket.job_id if full else None)

                counts = {"items_seen": len(rows), "products_seen": products + page.skipped, "errors": page.skipped}
                number = numbered.open(following, counts)
                await running.start(self._save_page, ticket, write, numbered, number, told)
        await self._save_pages_end(ticket, numbered, told)
        return {"phase": "stock", "page": numbered.last}

    async def _stock(
        self,
        ticket: Ticket,
        reader: CatalogReader,
        active: list[PosLocation],
        checkpoint: dict[str, Any],
        progress: Progress,
    ) -> dict[str, Any]:
        full = ticket.kind != "incremental"
        start, cursor = int(checkpoint.get("location", 0)), checkpoint.get("cursor")
        counted = {"stock_levels_seen": ticket.counters.get("stock_levels_seen", 0)}
        numbered = PageCheckpoints({**checkpoint, "phase": "stock"}, counted)
        for index in range(start, len(active)):
            previous: frozenset[tuple[str, str]] = frozenset()
            pages = reader.stock(active[index].external_id, after=cursor if index == start else None)
            async with read_ahead(pages) as stock_ahead, self._lanes() as running:
                async for page in stock_ahead:
                    keys = frozenset((level.inventory_item_id, level.location_external_id) for level in page.stock)
                    previous = _not_repeated(previous, keys, "stock levels")
                    now = self.clock()
                    rows = [staged_stock(level, now) for level in page.stock]
                    following = (
                        {"phase": "stock", "location": index, "cursor": page.next_cursor}
                        if page.next_cursor
                        else {"phase": "stock", "location": index + 1}
                    )

                    def write(uow: UnitOfWork, rows: list[dict[str, Any]] = rows) -> None:
                        staging.upsert_stock(uow, ticket.integration_id, rows, ticket.job_id if full else None)

                    number = numbered.open(following, {"stock_levels_seen": len(rows)})
                    await running.start(self._save_page, ticket, write, numbered, number)
            await self._save_pages_end(ticket, numbered)  # the location's every page committed, and saved so
            await progress(index + 1, len(active), f"read stock of {index + 1} of {len(active)} POS locations")
        listed = [loc.external_id for loc in active]

        def close_listing(uow: UnitOfWork) -> dict[str, int]:
            if full:
                staging.mark_unlisted_items_deleted(uow, ticket.integration_id, ticket.job_id, ticket.started_at)
                staging.drop_unlisted_stock(uow, ticket.integration_id, ticket.job_id, listed, ticket.started_at)
            return {}

        following = {"phase": "materialize", "after": 0}
        await self._save(ticket, close_listing, following)
        return following

    async def _materialize(self, ticket: Ticket, checkpoint: dict[str, Any], progress: Progress) -> None:
        after = int(checkpoint.get("after", 0))
        order = CommitOrder(after)
        known = await self.database.read(lambda uow: staging.offers_in_statistics(uow.session))
        growth = Growth(known)
        built = [0]
        await self.database.run(lambda uow: staging.refresh_statistics(uow.session, staged=True))
        async with self._lanes() as running:
            while True:
                if growth.doubled():
                    growth.refreshed()
                    await self.database.run(lambda uow: staging.refresh_statistics(uow.session, staged=False))
                ids = await self.database.read(
                    lambda uow, after=after: staging.item_ids_after(uow.session, ticket.integration_id, after, BATCH)
                )
                if not ids:
                    break
                order.open(ids[-1], len(ids))
                await running.start(self._build, ticket, ids, order, built, growth, progress)
                after = ids[-1]

        def settle(uow: UnitOfWork) -> None:
            count = staging.barcode_less_items(uow.session, ticket.integration_id)
            sync_jobs.settle_retailer_items(uow, ticket.job_id, ticket.runner_token, count)

        await self.database.run(settle)

    async def _build(
        self,
        ticket: Ticket,
        ids: list[int],
        order: CommitOrder,
        built: list[int],
        growth: Growth,
        progress: Progress,
    ) -> None:
        """One batch's offers, in a lane of its own; its unit saves the checkpoint `order` allows."""
        created = [0]

        def write(uow: UnitOfWork) -> dict[str, int]:
            tally: Tally = materialize(uow, ticket.organization_id, ticket.integration_id, ids, self.clock())
            created[0] = tally.created
            return {
                "offers_created": tally.created,
                "offers_updated": tally.updated,
                "offers_unchanged": tally.unchanged,
                "offers_removed": tally.removed,
                "retailer_items": tally.retailer_items,
            }

        def following() -> dict[str, Any]:
            return {"phase": "materialize", "after": order.resumable_after(ids[-1])}

        await self._save(ticket, write, following, never_back="after")
        growth.add(created[0])
        joined = order.committed(ids[-1])
        if joined:
            built[0] += joined
            await progress(built[0], None, f"built offers for {built[0]} POS items")
