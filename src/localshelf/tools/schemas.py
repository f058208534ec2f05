"""Published JSON Schemas made flat: every `$ref` inlined, every "X or null" written as one typed schema.

pydantic writes nested models as `$defs` + `$ref` and optional fields as `anyOf: [X, {"type": "null"}]`.
Both are valid JSON Schema, but the flat form says the same thing in a shape every client reads (some MCP
clients and LLM tool-callers resolve no `$ref`), and it is what a client that validates each result walks
(the `mcp` client does): ~35 % less validation time for a 20-hit search answer, measured by the search
benchmark. Equivalence: a type-specific keyword (`properties`, `maxLength`, `minimum`, ...) ignores
instances of other types, so `{"type": [T, "null"], ...X}` accepts exactly what `anyOf: [X, null]` does.
"""

from __future__ import annotations

from typing import Any

NULL = {"type": "null"}
# Keywords whose meaning would change if "null" joined the type list: such branches keep their anyOf.
_NOT_COLLAPSIBLE = frozenset({"anyOf", "oneOf", "allOf", "not", "if", "then", "else", "const", "$ref"})
_DEFS_PREFIX = "#/$defs/"


def flattened(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of `schema` with local `$ref`s inlined (a recursive one stays a `$ref`) and nullable unions collapsed."""
    definitions = schema.get("$defs", {})
    kept: set[str] = set()
    result = _inline(schema, definitions, (), kept)
    result.pop("$defs", None)
    if kept:
        result["$defs"] = {name: _inline(definitions[name], definitions, (name,), kept) for name in sorted(kept)}
    collapsed: dict[str, Any] = _collapse_nullable(result)
    return collapsed


def _inline(node: Any, definitions: dict[str, Any], stack: tuple[str, ...], kept: set[str]) -> Any:
    if isinstance(node, list):
        return [_inline(item, definitions, stack, kept) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_DEFS_PREFIX):
        name = ref.removeprefix(_DEFS_PREFIX)
        if name in stack or name not in definitions:
            kept.add(name)
            return dict(node)
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        target = _inline(definitions[name], definitions, (*stack, name), kept)
        return {**target, **_inline(siblings, definitions, stack, kept)}
    return {key: _inline(value, definitions, stack, kept) for key, value in node.items() if key != "$defs"}


def _collapse_nullable(node: Any) -> Any:
    if isinstance(node, list):
        return [_collapse_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _collapse_nullable(value) for key, value in node.items()}
    branches = node.get("anyOf")
    if not (isinstance(branches, list) and len(branches) == 2 and NULL in branches):
        return node
    (other,) = [branch for branch in branches if branch != NULL]
    if not isinstance(other.get("type"), str) or _NOT_COLLAPSIBLE & other.keys():
        return node
    merged = {key: value for key, value in node.items() if key != "anyOf"}
    for key, value in other.items():
        merged.setdefault(key, value)
    merged["type"] = [other["type"], "null"]
    if "enum" in other:
        merged["enum"] = [*other["enum"], None]
    return merged
