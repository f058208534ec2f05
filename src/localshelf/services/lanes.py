"""Run a sync's materialization batches in two lanes, and know which checkpoint is safe to save.

On PostgreSQL a batch's unit of work alternates between Python (building rows) and the database (writing them),
so one batch at a time keeps only one of the two busy. Two lanes overlap them. Batches are handed out in id order
but may commit out of order; a job must never resume past a batch that did not commit, so each batch saves the
checkpoint `CommitOrder` gives it: its own last id only when every batch before it committed, else the last id of
the committed prefix. A job resumed after a crash may so rebuild a batch that had committed: the offers come out
the same, and the job counts them a second time, as unchanged (its retailer-item count is settled exactly when
the build ends).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


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
