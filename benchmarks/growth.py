"""The issue's cross-scale target: search p95 grows less than 2x from city to country (index-bound)."""

from __future__ import annotations

from pathlib import Path

from .plots import latest_figures
from .report import Measure

MAX_GROWTH = 2.0
FROM_SCALE, TO_SCALE = "city", "country"


def growth_measures(out_dir: Path, measures: list[Measure], scale: str) -> list[Measure]:
    """For a country run: each search p95 figure against the newest city report in `out_dir`."""
    if scale != TO_SCALE:
        return []
    before = latest_figures(out_dir).get(FROM_SCALE, {})
    if not before:
        print(f"growth: no {FROM_SCALE} report in {out_dir}; run --scale {FROM_SCALE} first for the growth target")
        return []
    return [
        Measure(
            suite=m.suite,
            name=f"{m.name} growth {FROM_SCALE} -> {TO_SCALE}",
            value=m.value,
            unit=m.unit,
            baseline=before[m.name]["value"],
            baseline_name=f"{FROM_SCALE} report {before[m.name]['at']}",
            target=f"< {MAX_GROWTH:g}x {FROM_SCALE}",
            passed=m.value < MAX_GROWTH * before[m.name]["value"],
            notes={"scale": scale},
        )
        for m in measures
        if m.suite == "search" and "search_local_products p95" in m.name and m.name in before
    ]
