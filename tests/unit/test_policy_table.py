"""Every tool has a policy row, and the README's table says exactly what the policy enforces."""

from __future__ import annotations

import re
from pathlib import Path

import anyio

from localshelf.config import Settings
from localshelf.server.app import build_server
from localshelf.tools.policy import POLICIES

README = Path(__file__).parents[2] / "README.md"
ROW = re.compile(r"^\| `(?P<tool>[a-z_]+)` \| (?P<scope>`[a-z:]+`|—) \| (?P<access>[a-z -]+) \|$", re.MULTILINE)


def registered_tools() -> set[str]:
    async def names() -> set[str]:
        return {tool.name for tool in await build_server(Settings(database_url="sqlite://")).list_tools()}

    return anyio.run(names)


def test_every_registered_tool_has_exactly_one_policy_row() -> None:
    assert registered_tools() == set(POLICIES)


def test_the_readme_table_matches_the_enforced_policies() -> None:
    documented = {m["tool"]: (m["scope"].strip("`"), m["access"]) for m in ROW.finditer(README.read_text())}
    enforced = {name: (p.scope.value if p.scope else "—", p.access) for name, p in POLICIES.items()}
    assert documented == enforced
