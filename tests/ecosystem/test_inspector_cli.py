"""The official MCP Inspector, in CLI mode, lists and calls localshelf over stdio and streamable HTTP (bearer key).

The protocol is backend-independent, so these run on one SQLite file; the tools' SQL is covered on both backends
elsewhere. Each Inspector call is a fresh Node process (and, over stdio, a fresh server process).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from localshelf.store.db import Database
from localshelf.tools import tool_definitions
from tests.builders import operator_key, operator_organization
from tests.ecosystem.conftest import NodeTools
from tests.integration.test_transports import running_http_server

UNKNOWN_ORG = "org_000000000000"


@dataclass(frozen=True)
class Shelf:
    database: Database
    organization_id: str
    key: str


@dataclass(frozen=True)
class Target:
    """How the Inspector reaches the server: a command line (stdio) or a URL plus the bearer header."""

    args: tuple[str, ...]
    organization_id: str


@pytest.fixture(scope="module")
def shelf(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shelf]:
    path = tmp_path_factory.mktemp("inspector") / "localshelf.db"
    shutil.copyfile(sqlite_template, path)
    database = Database.from_url(f"sqlite:///{path}")
    organization_id = operator_organization(database, "Inspector Hardware")
    yield Shelf(database, organization_id, operator_key(database, organization_id))
    database.dispose()


@pytest.fixture(scope="module")
def http_url(shelf: Shelf, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_http_server(shelf.database, tmp_path_factory.mktemp("http") / "server.log") as url:
        yield url


@pytest.fixture(params=["stdio", "http"])
def target(request: pytest.FixtureRequest, shelf: Shelf) -> Target:
    if request.param == "stdio":
        url = shelf.database.engine.url.render_as_string(hide_password=False)
        env = ("-e", f"LOCALSHELF_DATABASE_URL={url}", "-e", "LOCALSHELF_LOG_LEVEL=WARNING")
        # The installed console script: the Inspector would read `python -m` as its own option.
        return Target((*env, str(Path(sys.executable).parent / "localshelf"), "serve"), shelf.organization_id)
    return http_target(request.getfixturevalue("http_url"), shelf)


def http_target(url: str, shelf: Shelf) -> Target:
    return Target((url, "--header", f"Authorization: Bearer {shelf.key}"), shelf.organization_id)


def inspect(tools: NodeTools, target: Target, *method: str, ok: bool = True) -> dict[str, Any]:
    """One `mcp-inspector --cli` call; its JSON answer (stdout)."""
    done = subprocess.run(
        [str(tools.inspector), "--cli", *target.args, *method],
        env=tools.env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert (done.returncode == 0) is ok, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def test_tools_list_shows_every_tool_with_an_output_schema_and_portable_input(
    node_tools: NodeTools, target: Target
) -> None:
    # --strict exits 6 on an error-severity schema portability problem (warnings: nullable `type` arrays).
    tools = inspect(node_tools, target, "--method", "tools/list", "--strict")["tools"]
    assert sorted(tool["name"] for tool in tools) == sorted(tool.name for tool in tool_definitions())
    assert len(tools) == 48
    assert [tool["name"] for tool in tools if "outputSchema" not in tool] == []
    assert [tool["name"] for tool in tools if not tool.get("description")] == []


def test_resources_templates_and_prompts_are_listed_over_http(
    node_tools: NodeTools, shelf: Shelf, http_url: str
) -> None:
    # Listing does not depend on the transport; stdio's launch and framing are covered by the other tests.
    target = http_target(http_url, shelf)
    resources = inspect(node_tools, target, "--method", "resources/list")["resources"]
    templates = inspect(node_tools, target, "--method", "resources/templates/list")["resourceTemplates"]
    prompts = inspect(node_tools, target, "--method", "prompts/list")["prompts"]
    assert "localshelf://docs/error-codes" in {resource["uri"] for resource in resources}
    assert "localshelf://locations/{location_id}" in {template["uriTemplate"] for template in templates}
    assert {"local-product-search", "onboard-retailer"} <= {prompt["name"] for prompt in prompts}


def test_a_read_tool_answers_with_structured_content(node_tools: NodeTools, target: Target) -> None:
    call = ("--method", "tools/call", "--tool-name", "get_organization")
    result = inspect(node_tools, target, *call, "--tool-arg", f"organization_id={target.organization_id}")
    assert result["isError"] is False
    assert result["structuredContent"]["id"] == target.organization_id
    assert result["structuredContent"]["name"] == "Inspector Hardware"


def test_a_failing_tool_call_is_a_typed_error(node_tools: NodeTools, target: Target) -> None:
    call = ("--method", "tools/call", "--tool-name", "get_organization")
    result = inspect(node_tools, target, *call, "--tool-arg", f"organization_id={UNKNOWN_ORG}", ok=False)
    assert result["isError"] is True
    code, _, message = result["content"][0]["text"].partition(": ")
    assert code == "not_found" and message


def test_a_prompt_renders_with_its_arguments(node_tools: NodeTools, target: Target) -> None:
    args = ("--prompt-args", "what=cordless drill", "near=45.5152,-122.6784")
    prompt = inspect(node_tools, target, "--method", "prompts/get", "--prompt-name", "local-product-search", *args)
    text = " ".join(message["content"]["text"] for message in prompt["messages"])
    assert "cordless drill" in text and "45.5152,-122.6784" in text


def test_the_http_entry_of_mcp_json_connects_with_a_bearer_key(
    node_tools: NodeTools, shelf: Shelf, http_url: str, tmp_path: Path
) -> None:
    """mcp.json as a client reads it, with ${LOCALSHELF_API_KEY} expanded and this test server's port."""
    config = json.loads((Path(__file__).parents[2] / "mcp.json").read_text())
    entry = config["mcpServers"]["localshelf-http"]
    assert entry["headers"]["Authorization"] == "Bearer ${LOCALSHELF_API_KEY}"
    entry["url"] = http_url
    entry["headers"]["Authorization"] = f"Bearer {shelf.key}"
    (tmp_path / "mcp.json").write_text(json.dumps(config))
    target = Target(("--config", str(tmp_path / "mcp.json"), "--server", "localshelf-http"), shelf.organization_id)
    tools = inspect(node_tools, target, "--method", "tools/list")["tools"]
    assert len(tools) == len(tool_definitions())
