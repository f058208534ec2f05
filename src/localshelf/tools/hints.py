"""Tool annotations, stated once: what a tool does to the world."""

from __future__ import annotations

from mcp.types import ToolAnnotations


def read_only(title: str) -> ToolAnnotations:
    return ToolAnnotations(title=title, read_only_hint=True, idempotent_hint=True, open_world_hint=False)


def creates(title: str, idempotent: bool = False) -> ToolAnnotations:
    return ToolAnnotations(
        title=title,
        read_only_hint=False,
        destructive_hint=False,
        idempotent_hint=idempotent,
        open_world_hint=False,
    )


def changes(title: str) -> ToolAnnotations:
    """Overwrites existing values: destructive in MCP's sense, and safe to repeat."""
    return ToolAnnotations(
        title=title, read_only_hint=False, destructive_hint=True, idempotent_hint=True, open_world_hint=False
    )


def replaces(title: str) -> ToolAnnotations:
    """Changes state in a way a repeat does not reproduce (a new secret, a cancel that already happened)."""
    return ToolAnnotations(
        title=title, read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=False
    )
