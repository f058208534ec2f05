"""One measured figure, its baseline from the same run, and the report (table, markdown, JSON)."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path


@dataclass
class Measure:
    suite: str  # "search", "sync", "webhooks", "http"
    name: str  # what was measured, e.g. "search_local_products p95 via MCP"
    value: float
    unit: str  # "ms", "ops/s", "MB", "s"
    baseline: float | None = None  # the same figure for the baseline, measured in the same run
    baseline_name: str | None = None  # e.g. "same SQL through the driver"
    target: str | None = None  # the target, in words, e.g. "<= 25 ms and <= 1.5x floor"
    passed: bool | None = None  # None: no target for this line
    notes: dict[str, object] = field(default_factory=dict)  # scale, backend, sample size...

    @property
    def ratio(self) -> float | None:
        return self.value / self.baseline if self.baseline else None


def table(measures: list[Measure]) -> str:
    header = ("suite", "figure", "value", "baseline", "ratio", "target", "result")
    rows = [header]
    for m in measures:
        rows.append(
            (
                m.suite,
                m.name,
                f"{m.value:,.2f} {m.unit}",
                f"{m.baseline:,.2f} {m.unit} ({m.baseline_name})" if m.baseline is not None else "",
                f"{m.ratio:.2f}x" if m.ratio is not None else "",
                m.target or "",
                "" if m.passed is None else ("PASS" if m.passed else "FAIL"),
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    lines = [" | ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def write(
    measures: list[Measure], out_dir: Path, scale: str, extra_markdown: str = "", server: str = ""
) -> tuple[Path, Path]:
    """Write `<scale>-<timestamp>.md` and `.json` into `out_dir`; returns both paths. `server`: the database
    server's settings that the figures depend on (see `databases.postgres_settings`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    machine = (
        f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.python_implementation()} {platform.python_version()}"
        + (f"; {server}" if server else "")
    )
    markdown = out_dir / f"{scale}-{stamp}.md"
    markdown.write_text(
        f"# localshelf benchmarks — scale {scale}\n\n{stamp}, {machine}\n\n```\n{table(measures)}\n```\n"
        + (f"\n{extra_markdown}\n" if extra_markdown else "")
    )
    data = out_dir / f"{scale}-{stamp}.json"
    data.write_text(
        json.dumps(
            {
                "scale": scale,
                "at": stamp,
                "machine": machine,
                "measures": [{**asdict(m), "ratio": m.ratio} for m in measures],
            },
            indent=2,
        )
    )
    return markdown, data
