"""A sync runner that SIGKILLs itself at a chosen database statement (tests/integration/test_crash_and_scale_out.py).

    LOCALSHELF_CHILD_DATABASE_URL=... LOCALSHELF_CHILD_KEY=... LOCALSHELF_CHILD_TOKEN=... \\
        python -m tests.integration.crash_child PRODUCTS LOCATIONS SEED BUILT_AT KILL_AT

Like `sync_child` (whose `build_state` rebuilds the same Shopify fake here), it claims the queued job and runs it,
but it does not park between pages: every SQL statement and every COMMIT, on any engine of this process, is a
numbered point, and at point KILL_AT (before that statement or commit reaches the database) the process sends
itself SIGKILL. Points fall inside a page's unit of work, between its statements, just before its COMMIT, right
after it, or inside the claim or the final `finish`, so a seed picks any moment of a sync where the database can
see a difference. KILL_AT 0 runs the sync to the end and prints `points <n>`: how many points a whole run has
(the test counts them in its own process, with the same `KillSwitch`, which is faster than starting a child).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from datetime import UTC, datetime
from typing import Any

import anyio
import httpx
from sqlalchemy import Engine, event

from localshelf.fakes.shopify import FakeShopify
from localshelf.services import sync_jobs
from localshelf.services.pos_flows import PosContext
from localshelf.store.db import Database
from tests.integration.shopify_harness import settings
from tests.integration.sync_child import build_state


class KillSwitch:
    """Counts statements and commits of every engine; SIGKILLs this process at point `kill_at` (0: never)."""

    def __init__(self, kill_at: int) -> None:
        self.kill_at, self.points = kill_at, 0
        self._lock = threading.Lock()
        event.listen(Engine, "before_cursor_execute", self._statement)
        event.listen(Engine, "commit", self._commit)

    def close(self) -> None:
        event.remove(Engine, "before_cursor_execute", self._statement)
        event.remove(Engine, "commit", self._commit)

    def _statement(self, *_args: Any) -> None:
        self.point()

    def _commit(self, *_args: Any) -> None:
        self.point()

    def point(self) -> None:
        with self._lock:
            self.points += 1
            if self.points == self.kill_at:
                os.kill(os.getpid(), signal.SIGKILL)


async def main(products: int, locations: int, seed: int, built_at: float, kill_at: int) -> None:
    fake = FakeShopify(build_state(products, locations, seed, built_at, os.environ["LOCALSHELF_CHILD_TOKEN"]))
    database = Database.from_url(os.environ["LOCALSHELF_CHILD_DATABASE_URL"])

    def http() -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=fake), timeout=20)

    pos = PosContext(
        database, settings(encryption_keys=os.environ["LOCALSHELF_CHILD_KEY"]), lambda: datetime.now(UTC), http
    )
    switch = KillSwitch(kill_at)
    ticket = await database.run(sync_jobs.claim, None, pos.clock())
    assert ticket is not None, "nothing to claim"
    await pos.runner().run(ticket)
    print("points", switch.points, flush=True)


if __name__ == "__main__":
    anyio.run(main, int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
