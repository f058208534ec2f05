"""The benchmark runner end to end at tiny scale on SQLite: table printed, markdown and JSON written."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TOOLS = ("search_local_products", "check_product_availability")
ARGS = ("--scale", "tiny", "--backends", "sqlite", "--suites", "search")
FIGURES = [f"sqlite {tool} p{p} via MCP" for tool in TOOLS for p in (50, 95, 99)]
VALIDATION = [f"sqlite {tool} p50 client-side validation (in the MCP figures)" for tool in TOOLS]


def test_tiny_search_run_prints_and_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "results"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", *ARGS, "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    for figure in FIGURES:
        assert figure in done.stdout
    assert "same SQL via driver" in done.stdout
    [markdown] = out.glob("tiny-*.md")
    [report] = out.glob("tiny-*.json")
    assert all(figure in markdown.read_text() for figure in FIGURES)
    measures = {m["name"]: m for m in json.loads(report.read_text())["measures"]}
    assert sorted(measures) == sorted(FIGURES + VALIDATION)
    for name in FIGURES:
        m = measures[name]
        assert math.isfinite(m["value"]) and m["value"] > 0, m
        assert math.isfinite(m["baseline"]) and m["baseline"] > 0, m
        assert m["notes"]["empty_answers"] < m["notes"]["calls"], m
    for tool, name in zip(TOOLS, VALIDATION, strict=True):
        # The client's schema check is a part of the call it was timed in.
        assert 0 < measures[name]["value"] < measures[f"sqlite {tool} p50 via MCP"]["value"], measures[name]
