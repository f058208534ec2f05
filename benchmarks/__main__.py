"""`python -m benchmarks --scale town [--backends sqlite,postgis] [--suites search,sync,webhooks,http] [--out DIR]`.

Runs the chosen suites, prints the table, writes markdown + JSON to the output directory and,
when several scales have results there, PNG plots of p95 latency against scale. Exits 0 even
when a target FAILs: the table says so.
"""

from __future__ import annotations

import argparse
import importlib
import tempfile
from collections.abc import Callable
from pathlib import Path

from .databases import BACKENDS, postgres_settings
from .growth import growth_measures
from .plots import plot_p95
from .report import Measure, table, write
from .scales import SCALES, Scale

SUITES = {"search": "search_suite", "sync": "sync_suite", "webhooks": "webhook_suite", "http": "http_suite"}
DEFAULT_OUT = Path(__file__).parent / "results"

SuiteRun = Callable[[Scale, list[str], Path], list[Measure]]


def _names(choices: tuple[str, ...] | list[str]) -> Callable[[str], list[str]]:
    def parse(value: str) -> list[str]:
        names = [name.strip() for name in value.split(",") if name.strip()]
        unknown = sorted(set(names) - set(choices))
        if unknown or not names:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(choices)} (got {value!r})")
        return names

    return parse


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--scale", choices=list(SCALES), default="town")
    parser.add_argument("--backends", type=_names(BACKENDS), default=list(BACKENDS), help="sqlite,postgis")
    parser.add_argument("--suites", type=_names(list(SUITES)), default=list(SUITES), help="search,sync,webhooks,http")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where the reports go")
    return parser.parse_args(argv)


def load_suite(name: str) -> SuiteRun | None:
    module_name = f"{__package__}.{SUITES[name]}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        print(f"{name}: skipped, {module_name} is not there yet")
        return None
    run: SuiteRun = module.run
    return run


def plans_markdown(measures: list[Measure]) -> str:
    """The EXPLAIN plans some figures carry in their notes, one section each."""
    sections = [
        f"## {m.name}\n\n{'PASS' if m.passed else 'FAIL'}: {m.target}\n\n```\n{m.notes['plan']}\n```"
        for m in measures
        if "plan" in m.notes
    ]
    return "\n\n".join(sections)


def run_suites(scale: Scale, backends: list[str], suites: list[str]) -> list[Measure]:
    measures: list[Measure] = []
    with tempfile.TemporaryDirectory(prefix="localshelf-bench-") as workdir:
        for name in suites:
            run = load_suite(name)
            if run is not None:
                print(f"{name}: running at {scale.name} scale on {', '.join(backends)}", flush=True)
                measures += run(scale, backends, Path(workdir) / name)
    return measures


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scale = SCALES[args.scale]
    measures = run_suites(scale, args.backends, args.suites)
    measures += growth_measures(args.out, measures, scale.name)
    print(table(measures))
    server = postgres_settings() if "postgis" in args.backends else ""
    markdown, data = write(measures, args.out, scale.name, plans_markdown(measures), server)
    print(f"wrote {markdown} and {data}")
    for plot in plot_p95(args.out):
        print(f"wrote {plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
