"""The official MCP conformance suite's server scenarios, against localshelf over streamable HTTP.

`conformance server` speaks only HTTP (`--url`) and sends no headers, so the server runs behind
tests/ecosystem/bearer_front.py, which adds the API key a configured client would send.

Most server scenarios call fixture tools, resources and prompts with fixed names (`test_simple_text`,
`test://static-text`, ...) that only the suite's reference server has; they cannot apply to an ordinary
server. The scenarios that test the protocol itself must pass. Every scenario of the pinned version is named
below, so a new version's new scenarios fail the inventory test until someone decides where they belong.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localshelf.store.db import Database
from tests.builders import operator_key, operator_organization
from tests.ecosystem.conftest import NodeTools

APPLICABLE = frozenset(
    {
        "server-initialize",
        "ping",
        "tools-list",
        "resources-list",
        "prompts-list",
        "completion-complete",  # asks about an unknown prompt: an empty completion is the right answer
        "server-sse-multiple-streams",
        "dns-rebinding-protection",
    }
)
FIXTURE_SCENARIOS = frozenset(
    {
        "tools-call-simple-text",
        "tools-call-image",
        "tools-call-audio",
        "tools-call-embedded-resource",
        "tools-call-mixed-content",
        "tools-call-with-logging",
        "tools-call-error",
        "tools-call-with-progress",
        "tools-call-sampling",
        "tools-call-elicitation",
        "json-schema-2020-12",
        "elicitation-sep1034-defaults",
        "elicitation-sep1330-enums",
        "server-sse-polling",  # its `test_reconnection` tool closes the stream mid-call
        "resources-read-text",
        "resources-read-binary",
        "resources-templates-read",
        "prompts-get-simple",
        "prompts-get-with-args",
        "prompts-get-embedded-resource",
        "prompts-get-with-image",
    }
)
# Capabilities localshelf does not declare (the scenarios call them regardless): server-to-client logging is
# deprecated in the SDK (SEP-2577; errors carry their code, logs stay on the server), and on 2025-11-25
# connections resources are not subscribable (on 2026-07-28 change notifications go through subscriptions/listen).
UNDECLARED = frozenset({"logging-set-level", "resources-subscribe", "resources-unsubscribe"})


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def front_url(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("conformance")
    shutil.copyfile(sqlite_template, directory / "localshelf.db")
    url = f"sqlite:///{directory / 'localshelf.db'}"
    database = Database.from_url(url)
    key = operator_key(database, operator_organization(database, "Conformance Hardware"))
    database.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "LOCALSHELF_DATABASE_URL": url,
        "LOCALSHELF_PORT": str(port),
        "LOCALSHELF_PUBLIC_URL": f"http://127.0.0.1:{port}/mcp",
        "LOCALSHELF_FRONT_KEY": key,
        "LOCALSHELF_LOG_LEVEL": "WARNING",
    }
    log_path = directory / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.ecosystem.bearer_front"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_for_port(port, process, log_path)
            yield f"http://127.0.0.1:{port}/mcp"
        finally:
            process.terminate()
            process.wait(timeout=10)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            assert process.poll() is None, log_path.read_text()
            time.sleep(0.1)  # polling a port that has no event to await
    pytest.fail("bearer front did not start within 30 s:\n" + log_path.read_text())


@pytest.fixture(scope="module")
def outcomes(node_tools: NodeTools, front_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Any]]:
    """Run every server scenario of the pinned suite once; each scenario's checks, by scenario name."""
    results = tmp_path_factory.mktemp("conformance-results")
    command = [str(node_tools.conformance), "server", "--url", front_url, "--suite", "all", "-o", str(results)]
    done = subprocess.run(command, env=node_tools.env(), capture_output=True, text=True, timeout=120, check=False)
    by_scenario: dict[str, list[Any]] = {}
    for checks in results.glob("server-*/checks.json"):
        name = re.sub(r"-\d{4}-\d{2}-\d{2}T[\d-]+Z$", "", checks.parent.name).removeprefix("server-")
        by_scenario[name] = json.loads(checks.read_text())
    assert by_scenario, f"no results (exit {done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return by_scenario


def test_every_scenario_of_the_pinned_suite_is_classified(outcomes: dict[str, list[Any]]) -> None:
    assert set(outcomes) == APPLICABLE | FIXTURE_SCENARIOS | UNDECLARED


@pytest.mark.parametrize("scenario", sorted(APPLICABLE))
def test_protocol_scenario_passes(outcomes: dict[str, list[Any]], scenario: str) -> None:
    checks = outcomes[scenario]
    failed = [check for check in checks if check["status"] == "FAILURE"]
    assert failed == [], json.dumps(failed, indent=1)[:3000]
    assert any(check["status"] == "SUCCESS" for check in checks)
