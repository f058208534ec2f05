"""Under CI=true an unreachable PostGIS fails the PostGIS tests; elsewhere it skips them visibly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
TARGET = "tests/integration/test_migrations.py::test_postgis_gets_the_geography_column_and_its_indexes"


def run_pytest_without_postgis(ci: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CI": ci,
        "LOCALSHELF_TEST_POSTGRES_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", TARGET],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    ("ci", "exit_code", "says"),
    [("true", 1, "CI=true: PostGIS tests must run"), ("false", 0, "SKIPPING POSTGIS")],
)
def test_an_unreachable_postgis_fails_in_ci_and_skips_loudly_elsewhere(ci: str, exit_code: int, says: str) -> None:
    result = run_pytest_without_postgis(ci)
    assert result.returncode == exit_code, result.stdout[-2000:]
    assert says in result.stdout
