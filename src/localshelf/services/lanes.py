"""Run a sync's units in two lanes (the pages it stages, the batches it builds), and know which checkpoint is
safe to save.

On PostgreSQL a unit of work alternates between Python (building rows) and the database (writing them), so one
unit at a time keeps only one of the two busy. Two lanes overlap them. Units are handed out in order but may
commit out of order; a job must never resume past one that did not commit, so each unit saves the checkpoint
`CommitOrder` gives it: its own only when every unit before it committed, else the one of the committed prefix.
A job resumed after a crash may so stage a page or build a batch again that had committed. The rows come out the
same. A page's counts are saved as the committed prefix's totals (`PageCheckpoints`), so they are counted once;
a rebuilt batch's offers are counted a second time, as unchanged (its retailer-item count is settled exactly when
the build ends).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import anyio
from anyio.abc import TaskGroup


class CommitOrder:
    def __init__(self, after: int) -> None:
        self._lock = threading.Lock()
        self._base = after  # every batch up to this id committed
        self._open: list[tuple[int, int, bool]] = []  # (last id, items, committed) of batches after `_base`, in order

    def open(self, last: int, items: int) -> None:
        """A batch of `items` ending at item id `last` is handed out (batches are opened in id order)."""
        with self._lock:
            self._open.append((last, items, False))

    def resumable_after(self, last: int) -> int:
        """The checkpoint for batch `last`'s unit: what a resumed job may skip, were that unit committed now."""
        with self._lock:
            safe = self._base
            for opened, _items, committed in self._open:
                if not committed and opened != last:
                    break
                safe = opened
            return safe

    @property
    def base(self) -> int:
        """Every unit up to this one committed."""
        with self._lock:
            return self._base

    def committed(self, last: int) -> int:
        """Batch `last` committed; returns how many items that adds to the committed prefix (0 while a batch before
        it is still being built: progress is reported for the prefix, which is what a resumed job would skip)."""
        with self._lock:
            self._open = [(opened, items, done or opened == last) for opened, items, done in self._open]
            joined = 0
            while self._open and self._open[0][2]:
                self._base, items, _done = self._open.pop(0)
                joined += items
            return joined


@contextmanager
def single_error() -> Iterator[None]:
    """Around an anyio task group: a failing task's error is raised with its own type, not wrapped in a group, as
    the sync runner and its callers handle provider and job errors by their type. When two tasks failed at once
    (two lanes finding the job cancelled), the first one's error stands for both."""
    try:
        yield
    except BaseExceptionGroup as errors:
        raise errors.exceptions[0] from None


class PageCheckpoints:
    """The checkpoints of a listing's pages staged in lanes. Page N's unit saves the checkpoint after the last page
    of the committed prefix (`CommitOrder` over page numbers) with the counts of that prefix as totals. Pages are
    numbered across the job's reading, continuing from the checkpoint resumed from, and every checkpoint carries
    its number ("page"): saved with `never_back="page"`, the stored checkpoint and totals never move back when an
    earlier page commits after a later one."""

    def __init__(self, resumed: dict[str, Any], totals: dict[str, int]) -> None:
        self._lock = threading.Lock()  # units ask for their checkpoint from worker threads
        self.last = int(resumed.get("page", -1))
        self._order = CommitOrder(self.last)
        self._saved = {self.last: ({**resumed, "page": self.last}, dict(totals))}
        self._untold: dict[int, dict[str, int]] = {}  # totals after each page no saved checkpoint covered yet

    def open(self, following: dict[str, Any], counts: dict[str, int]) -> int:
        """The next page is handed out: it `counts` these rows, and `following` is where to resume after it."""
        with self._lock:
            _checkpoint, totals = self._saved[self.last]
            self.last += 1
            added = {name: totals.get(name, 0) + counts.get(name, 0) for name in {*totals, *counts}}
            self._saved[self.last] = ({**following, "page": self.last}, added)
            self._untold[self.last] = added
            self._order.open(self.last, 0)
            return self.last

    def for_unit(self, page: int) -> tuple[dict[str, Any], dict[str, int]]:
        """The checkpoint and totals page `page`'s unit saves, were it committed now."""
        with self._lock:
            return self._saved[self._order.resumable_after(page)]

    def committed(self, page: int, saved: int) -> list[dict[str, int]]:
        """Page `page` committed with the checkpoint of page `saved`; returns the totals after each page that
        checkpoint newly covers, in order (progress is told for what a resumed job would not read again)."""
        with self._lock:
            self._order.committed(page)
            base = self._order.base
            for passed in [number for number in self._saved if number < base]:
                del self._saved[passed]
            covered = sorted(number for number in self._untold if number <= saved)
            return [self._untold.pop(number) for number in covered]


class Lanes:
    """Up to `count` units at once, each a task of `group`; `start` waits for a free lane."""

    def __init__(self, group: TaskGroup, count: int) -> None:
        self._group = group
        self._free = anyio.Semaphore(count)

    async def start(self, unit: Callable[..., Awaitable[None]], *args: Any) -> None:
        await self._free.acquire()
        self._group.start_soon(self._run, unit, args)

    async def _run(self, unit: Callable[..., Awaitable[None]], args: tuple[Any, ...]) -> None:
        try:
            await unit(*args)
        finally:
            self._free.release()


@asynccontextmanager
async def lanes(count: int) -> AsyncIterator[Lanes]:
    """`async with lanes(2) as running: await running.start(unit, ...)`: leaves once every started unit ended; a
    failing unit's error is raised with its own type (`single_error`) and cancels the others."""
    with single_error():
        async with anyio.create_task_group() as group:
            yield Lanes(group, count)
