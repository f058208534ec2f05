"""The benchmark runner end to end at tiny scale on SQLite: table printed, markdown and JSON written."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path

import anyio
import httpx
from benchmarks.shopify_setup import SHOP, AnsweringInstantly, build_state, render_a_full_sync

from localshelf.fakes.shopify import FakeShopify

REPO = Path(__file__).resolve().parents[2]
TOOLS = ("search_local_products", "check_product_availability")
ARGS = ("--scale", "tiny", "--backends", "sqlite", "--suites", "search")
FIGURES = [f"sqlite {tool} p{p} via MCP" for tool in TOOLS for p in (50, 95, 99)]
VALIDATION = [f"sqlite {tool} p50 client-side validation (in the MCP figures)" for tool in TOOLS]


def _benchmarks(out: Path, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "benchmarks", *args, "--out", str(out)]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False)


def test_tiny_search_run_prints_and_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "results"
    done = _benchmarks(out, *ARGS, timeout=60)

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


SYNC_FIGURES = [
    f"full sync 100 SKUs x 3 [sqlite]: {name}"
    for name in ("seconds", "offers/s", "SKUs/s", "peak RSS", "CPU per offer", "cores busy")
]


def test_tiny_sync_run_reports_its_cpu_against_the_naive_baseline(tmp_path: Path) -> None:
    """The sync suite end to end: the fake answers from what it rendered before the timed part, the sync succeeds,
    and its CPU per offer and busy cores come with the naive baseline's and the machine's."""
    out = tmp_path / "results"
    done = _benchmarks(out, "--scale", "tiny", "--backends", "sqlite", "--suites", "sync", timeout=180)

    assert done.returncode == 0, done.stderr
    [report] = out.glob("tiny-*.json")
    measures = {m["name"]: m for m in json.loads(report.read_text())["measures"]}
    assert sorted(measures) == sorted(SYNC_FIGURES)
    for name in SYNC_FIGURES:
        m = measures[name]
        assert math.isfinite(m["value"]) and m["value"] > 0 and m["baseline"] > 0, m
        assert m["notes"]["job_state"] == "succeeded", m
    cpu = measures[SYNC_FIGURES[4]]["notes"]
    assert cpu["cpu_seconds"]["postgres"] is None and cpu["cpu_seconds"]["fake"] is not None, cpu
    assert measures[SYNC_FIGURES[5]]["baseline"] == cpu["cores"]


def test_the_instant_fake_answers_from_what_it_rendered_and_never_keeps_an_error() -> None:
    state = build_state(20, 2, 11, time.time(), "token")
    shop = state.shops[SHOP]
    shop.bucket.restore_rate = 1e9
    app = AnsweringInstantly(FakeShopify(state))
    anyio.run(render_a_full_sync, app, "token")
    query = {"query": "query Shop { shop { id name myshopifyDomain currencyCode } }", "variables": {}}

    async def ask(token: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=f"https://{SHOP}") as client:
            return await client.post(
                "/admin/api/2025-07/graphql.json", json=query, headers={"X-Shopify-Access-Token": token}
            )

    first = anyio.run(ask, "token")
    shop.name = "Renamed after rendering"
    assert anyio.run(ask, "token").content == first.content  # the stored bytes, not a new rendering
    assert anyio.run(ask, "wrong").status_code == 401

    query["variables"] = {"unused": 1}  # a request the rendering never saw, while the bucket is empty: throttled
    shop.bucket.restore_rate, shop.bucket.available = 0.0, 0.0
    assert b"THROTTLED" in anyio.run(ask, "token").content
    shop.bucket.restore_rate = 1e9
    answer = anyio.run(ask, "token")
    assert b"THROTTLED" not in answer.content and b"Renamed after rendering" in answer.content
