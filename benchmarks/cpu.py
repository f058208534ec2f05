"""CPU seconds spent by each party of a timed run: this process, the POS fake's process, the PostgreSQL server.

On a machine with two cores a run is bound by the sum of its parties' CPU as much as by any one of them, so the
sync suite reports all three next to its wall time. Read from `/proc` (Linux): the PostgreSQL figure is every
`postgres` process of this machine, backends that exited during the run included (their time is added to the
postmaster's when it reaps them), so it is None when the server is on another machine, and it includes what the
server did for anyone else meanwhile (autovacuum: part of the cost of a sync's writes).
"""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class CpuSeconds:
    app: float
    fake: float | None
    postgres: float | None

    def __sub__(self, earlier: CpuSeconds) -> CpuSeconds:
        return CpuSeconds(
            self.app - earlier.app, _minus(self.fake, earlier.fake), _minus(self.postgres, earlier.postgres)
        )

    @property
    def total(self) -> float:
        return self.app + (self.fake or 0.0) + (self.postgres or 0.0)


def _minus(later: float | None, earlier: float | None) -> float | None:
    return None if later is None or earlier is None else later - earlier


def _own() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _stat_fields(pid: str) -> tuple[str, list[str]] | None:
    """(command name, the fields after it) of /proc/<pid>/stat; None when the process is gone."""
    try:
        stat = (_PROC / pid / "stat").read_text()
    except OSError:
        return None
    return stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()


def _seconds(fields: list[str], with_reaped_children: bool) -> float:
    # fields[11:15]: utime, stime, cutime, cstime, in clock ticks
    return sum(int(value) for value in fields[11 : 15 if with_reaped_children else 13]) / _TICKS


def process_seconds(pid: int) -> float | None:
    found = _stat_fields(str(pid))
    return None if found is None else _seconds(found[1], with_reaped_children=False)


def postgres_seconds() -> float | None:
    if not _PROC.is_dir():
        return None
    total, seen = 0.0, False
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        found = _stat_fields(entry.name)
        if found is None or not found[0].startswith("postgres"):
            continue
        seen = True
        total += _seconds(found[1], with_reaped_children=True)
    return total if seen else None


def snapshot(fake_pid: int | None, postgres: bool) -> CpuSeconds:
    """`postgres`: the run writes to a PostgreSQL server (else the figure is None, not that server's idle time)."""
    fake = process_seconds(fake_pid) if fake_pid is not None else None
    return CpuSeconds(_own(), fake, postgres_seconds() if postgres else None)
