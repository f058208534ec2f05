"""The installed server answers real MCP clients over stdio and streamable HTTP, on both backends."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from mcp import Client, StdioServerParameters

from localshelf.domain.auth import Role
from localshelf.services import keys
from localshelf.store.db import Database
from tests.builders import http_session, onboard, operator_key, operator_organization
from tests.conftest import call, call_error

pytestmark = pytest.mark.anyio

BROADWAY = (45.5189, -122.6795)  # downtown Portland


def _server_env(database: Database) -> dict[str, str]:
    return {
        "LOCALSHELF_DATABASE_URL": database.engine.url.render_as_string(hide_password=False),
        "LOCALSHELF_LOG_LEVEL": "WARNING",
        "PATH": os.environ.get("PATH", ""),
    }


async def _onboard_and_search(client: Client, organization_id: str | None = None) -> None:
    tools = {tool.name for tool in (await client.list_tools()).tools}
    assert {"search_local_products", "publish_location", "check_product_availability"} <= tools
    shop = await onboard(
        client,
        organization_id=organization_id,
        retailer="Transport Test Books",
        store="Transport Test Books – Downtown",
        at=BROADWAY,
        address_line1="800 SW Broadway",
        gtin="9780140449136",
        product="The Odyssey (Penguin Classics)",
        brand="Penguin",
        sku="BK-1",
        price_minor=1700,
        quantity=4,
    )
    found = await call(client, "search_local_products", query="odyssey", latitude=BROADWAY[0], longitude=BROADWAY[1])
    assert found["results"][0]["store"]["location_id"] == shop.loc


async def test_stdio_serves_a_full_onboarding_and_search(database: Database) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "localshelf", "serve"], env=_server_env(database)
    )
    async with Client(params) as client:
        await _onboard_and_search(client)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_http_server(database: Database, log_path: Path, **env: str) -> Iterator[str]:
    """`localshelf serve --transport http` as a real process on a free loopback port; yields its /mcp URL."""
    port = _free_port()
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "localshelf", "serve", "--transport", "http", "--port", str(port)],
            env={**_server_env(database), "LOCALSHELF_PUBLIC_URL": f"http://127.0.0.1:{port}/mcp", **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                assert process.poll() is None, log_path.read_text()
                time.sleep(0.1)
        else:
            process.kill()
            pytest.fail("HTTP server did not start within 30 s:\n" + log_path.read_text())
        try:
            yield f"http://127.0.0.1:{port}/mcp"
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def http_server(database: Database, tmp_path: Path) -> Iterator[str]:
    with running_http_server(database, tmp_path / "server.log") as url:
        yield url


def test_whoami_names_the_principal_and_a_plain_route_is_throttled_with_429(database: Database, tmp_path: Path) -> None:
    organization_id = operator_organization(database, "Whoami Hardware")
    key = operator_key(database, organization_id, Role.MANAGER, frozenset({"offers:write"}))
    with running_http_server(database, tmp_path / "whoami.log", LOCALSHELF_RATE_LIMIT_PER_MINUTE="2") as url:
        whoami = url.removesuffix("/mcp") + "/whoami"
        assert httpx.get(whoami).status_code == 401
        assert "resource_metadata=" in httpx.get(whoami).headers["www-authenticate"]
        answers = [httpx.get(whoami, headers={"Authorization": f"Bearer {key}"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].json()["organizations"] == [{"id": organization_id, "role": "manager"}]
    assert answers[0].json()["scopes"] == ["offers:write"]
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 30
    assert answers[2].json()["error"] == "rate_limited"


async def test_streamable_http_serves_a_full_onboarding_and_search(http_server: str, database: Database) -> None:
    organization_id = operator_organization(database, "Transport Test Books")
    key = operator_key(database, organization_id)
    async with http_session(http_server, key) as client:
        await _onboard_and_search(client, organization_id)


def test_http_refuses_a_call_without_credentials_with_the_oauth_challenge(http_server: str) -> None:
    response = httpx.post(
        http_server,
        headers={"Content-Type": "application/json", "Accept": "application/json, text/event-stream"},
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
    )
    assert response.status_code == 401
    assert 'resource_metadata="' in response.headers["www-authenticate"]


def test_http_binds_to_loopback_and_refuses_a_foreign_host_header(http_server: str, database: Database) -> None:
    key = operator_key(database, operator_organization(database))
    response = httpx.post(
        http_server,
        headers={
            "Host": "evil.example",
            "Authorization": f"Bearer {key}",
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
        },
        json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
    )
    assert response.status_code in (400, 403, 421)


def test_http_bound_beyond_loopback_accepts_only_the_public_host(database: Database, tmp_path: Path) -> None:
    """As in a container: bound to every interface, /mcp answers Host headers naming the public URL or loopback,
    and refuses any other name (a DNS-rebinding page) before authentication."""
    key = operator_key(database, operator_organization(database))
    headers = {
        "Authorization": f"Bearer {key}",
        "Content-Type": "application/json",
        "Accept": "application/json, text/event-stream",
    }
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    env = {"LOCALSHELF_HOST": "0.0.0.0", "LOCALSHELF_PUBLIC_URL": "https://shelf.example/mcp"}
    with running_http_server(database, tmp_path / "server.log", **env) as url:
        foreign = httpx.post(url, headers={**headers, "Host": "rebound.example"}, json=ping)
        public = httpx.post(url, headers={**headers, "Host": "shelf.example"}, json=ping)
        loopback = httpx.post(url, headers=headers, json=ping)
    assert foreign.status_code in (400, 403, 421), foreign.text
    assert public.status_code != foreign.status_code and public.status_code < 500, public.text
    assert loopback.status_code == public.status_code


async def test_the_stdio_entry_in_mcp_json_launches_a_working_server(tmp_path: Path) -> None:
    config = json.loads((Path(__file__).parents[2] / "mcp.json").read_text())
    stdio, http = config["mcpServers"]["localshelf"], config["mcpServers"]["localshelf-http"]
    assert http["url"].endswith(":8765/mcp") and http["type"] == "http"
    bin_dir = str(Path(sys.executable).parent)  # where `pip install` put the `localshelf` command
    env = {
        **stdio.get("env", {}),
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "LOCALSHELF_DATABASE_URL": f"sqlite:///{tmp_path / 'mcp-json.db'}",
    }
    params = StdioServerParameters(command=stdio["command"], args=stdio["args"], env=env)
    async with Client(params) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
    assert "search_local_products" in tools


async def test_stdio_can_run_as_an_api_key_instead_of_the_operator(database: Database) -> None:
    own = operator_organization(database, "Key Holder")
    other = operator_organization(database, "Somebody Else")
    key = operator_key(database, own, Role.STAFF, frozenset())
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "localshelf", "serve"],
        env={**_server_env(database), "LOCALSHELF_STDIO_API_KEY": key},
    )
    async with Client(params) as client:
        assert (await call(client, "get_organization", organization_id=own))["id"] == own
        assert (await call_error(client, "get_organization", organization_id=other))[0] == "not_found"
        assert (await call_error(client, "create_organization", name="Nope"))[0] == "insufficient_scope"


def test_stdio_refuses_to_start_with_a_bad_api_key(database: Database) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "localshelf", "serve"],
        env={**_server_env(database), "LOCALSHELF_STDIO_API_KEY": "lsk_00000000_" + "0" * 32},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 2
    assert "LOCALSHELF_STDIO_API_KEY" in result.stderr and "Traceback" not in result.stderr


async def test_a_key_records_when_it_was_last_used(http_server: str, database: Database) -> None:
    organization_id = operator_organization(database, "Last Used Books")
    key = operator_key(database, organization_id)
    before = database.transaction(keys.list_api_keys, organization_id, read_only=True).keys[0]
    assert before.last_used_at is None
    async with http_session(http_server, key) as client:
        await call(client, "get_organization", organization_id=organization_id)
    after = database.transaction(keys.list_api_keys, organization_id, read_only=True).keys[0]
    assert after.last_used_at is not None


async def test_two_server_processes_on_one_postgresql_share_one_allowance(
    postgis_database: Database, tmp_path: Path
) -> None:
    organization_id = operator_organization(postgis_database, "Shared Limit Hardware")
    key = operator_key(postgis_database, organization_id)
    limit = 6
    with (
        running_http_server(postgis_database, tmp_path / "a.log", LOCALSHELF_RATE_LIMIT_PER_MINUTE=str(limit)) as a,
        running_http_server(postgis_database, tmp_path / "b.log", LOCALSHELF_RATE_LIMIT_PER_MINUTE=str(limit)) as b,
    ):
        async with http_session(a, key) as on_a, http_session(b, key) as on_b:
            outcomes = []
            for _ in range(limit):  # alternate: each process alone would allow `limit`
                for client in (on_a, on_b):
                    result = await client.call_tool("get_organization", {"organization_id": organization_id})
                    outcomes.append("ok" if not result.is_error else result.content[0].text.partition(":")[0])
    # One call every 10 s refills at limit 6/min; the loop takes well under a second.
    assert outcomes.count("ok") == limit
    assert outcomes.count("rate_limited") == limit
