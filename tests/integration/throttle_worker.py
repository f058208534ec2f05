"""A stand-in server process for the two-process rate limit test: hammers one key, reports the tally.

    python throttle_worker.py DATABASE_URL KEY PER_MINUTE ATTEMPTS

It connects and warms up, prints `ready`, waits for a line on stdin (so that both
workers start together), makes ATTEMPTS calls as fast as it can and prints one JSON
line: {"allowed": ..., "denied": ..., "started": ..., "finished": ...} (wall-clock
seconds, comparable between processes on one machine).
"""

from __future__ import annotations

import json
import sys
import time

from sqlalchemy import text

from localshelf.domain.throttle import Rate
from localshelf.store.db import make_engine
from localshelf.store.throttle import PostgresThrottle


def main(url: str, key: str, per_minute: int, attempts: int) -> None:
    engine = make_engine(url)
    throttle = PostgresThrottle(engine, Rate(per_minute))
    with engine.connect() as connection:  # open the pooled connection before the race starts
        connection.execute(text("SELECT 1 FROM rate_limits LIMIT 1"))
    print("ready", flush=True)
    sys.stdin.readline()
    started = time.time()
    allowed = sum(throttle.acquire(key).allowed for _ in range(attempts))
    finished = time.time()
    print(json.dumps({"allowed": allowed, "denied": attempts - allowed, "started": started, "finished": finished}))
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
