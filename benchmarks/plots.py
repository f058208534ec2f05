"""PNG plots of p95 latency against scale, from the JSON reports in a results directory."""

from __future__ import annotations

import importlib
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from .scales import SCALES

SCALE_ORDER = list(SCALES)


def latest_figures(out_dir: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """scale -> figure name -> the newest measure of that name (reports of different suites may interleave)."""
    latest: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for path in sorted(out_dir.glob("*.json")):  # file names sort by timestamp
        report = json.loads(path.read_text())
        if report.get("scale") in SCALES:
            for m in report.get("measures", []):
                latest[report["scale"]][m["name"]] = {**m, "at": report.get("at")}
    return dict(latest)


def p95_series(figures: dict[str, dict[str, dict[str, Any]]]) -> dict[str, dict[str, list[tuple[int, float, Any]]]]:
    """suite -> figure name -> [(scale index, value, baseline)] for every p95 latency figure."""
    series: dict[str, dict[str, list[tuple[int, float, Any]]]] = defaultdict(lambda: defaultdict(list))
    for scale in sorted(figures, key=SCALE_ORDER.index):
        for name, m in figures[scale].items():
            if " p95" in name and m["unit"] == "ms" and "growth" not in name:
                series[m["suite"]][name].append((SCALE_ORDER.index(scale), m["value"], m["baseline"]))
    return series


def plot_p95(out_dir: Path) -> list[Path]:
    """One PNG per suite when reports of two or more scales exist; [] (with a message) otherwise."""
    figures = latest_figures(out_dir)
    if len(figures) < 2:
        print(f"plots: results of one scale only in {out_dir}; run another scale to plot latency against scale")
        return []
    try:
        importlib.import_module("matplotlib").use("Agg")
        plt = importlib.import_module("matplotlib.pyplot")
    except ImportError:
        print("plots: matplotlib is not installed (pip install -e '.[bench]'); skipping the PNG plots")
        return []
    written = []
    for suite, lines in p95_series(figures).items():
        fig, ax = plt.subplots(figsize=(8, 5))
        for name, points in sorted(lines.items()):
            xs, values, baselines = zip(*points, strict=True)
            (line,) = ax.plot(xs, values, marker="o", label=name)
            if all(b is not None for b in baselines):
                ax.plot(xs, baselines, linestyle="--", color=line.get_color(), label=f"{name} (floor)")
        ax.set_xticks(range(len(SCALE_ORDER)), SCALE_ORDER)
        ax.set_xlabel("scale")
        ax.set_ylabel("p95 latency (ms)")
        ax.set_yscale("log")
        ax.set_title(f"localshelf {suite}: p95 latency against scale")
        ax.legend(fontsize="x-small")
        path = out_dir / f"p95-{suite}.png"
        fig.savefig(path, dpi=120, bbox_inches="tight")
        plt.close(fig)
        written.append(path)
    return written
