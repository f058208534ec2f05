"""The client set-up snippets in the README are valid JSON, and each HTTP entry sends a bearer key."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

README = Path(__file__).parents[2] / "README.md"


def _client_section() -> str:
    text = README.read_text()
    start = text.index("## Use it from your MCP client")
    return text[start : text.index("\n## ", start + 1)]


def _json_blocks() -> list[dict[str, Any]]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", _client_section(), re.S)]


def test_every_client_snippet_is_valid_json_with_a_stdio_and_an_http_entry() -> None:
    blocks = _json_blocks()
    assert len(blocks) == 3  # Claude Desktop, Cursor, VS Code
    for block in blocks:
        servers = block.get("mcpServers") or block["servers"]
        assert set(servers) == {"localshelf", "localshelf-http"}
        assert servers["localshelf"]["args"] == ["serve"]


def test_every_http_entry_sends_authorization_bearer() -> None:
    for block in _json_blocks():
        entry = (block.get("mcpServers") or block["servers"])["localshelf-http"]
        sent = " ".join([*entry.get("headers", {}).values(), *entry.get("env", {}).values()])
        assert "Bearer " in sent
    section = _client_section()
    assert (
        'claude mcp add --transport http localshelf-http http://127.0.0.1:8765/mcp --header "Authorization: Bearer'
        in (section)
    )
