"""What an LLM reads in tools/list is enough to call each tool right: units on every number, an example on every
free-form argument, structured output everywhere, all within a bounded size (tools/list is paid for in context)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from localshelf.tools import tool_definitions

TOOLS = {tool.name: tool for tool in tool_definitions()}
# The compact JSON of every tool's name, description and both schemas (tools/list adds titles and annotations).
SURFACE_BUDGET_BYTES = 150_000
UNIT_RULES: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (re.compile(r"_km$"), re.compile(r"\bkm\b", re.I)),
    (re.compile(r"^(latitude|longitude)$"), re.compile(r"\bdegrees\b", re.I)),
    (re.compile(r"price|_minor$"), re.compile(r"\bminor unit\b.*\bcents\b", re.I)),
    (re.compile(r"days"), re.compile(r"\bdays?\b", re.I)),
    (
        re.compile(r".*"),  # counts: the description names what is counted
        re.compile(r"\b(units|stores|offers|results|entries|items|jobs|movements|groups|cells|searches)\b", re.I),
    ),
)


def _arguments() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (tool.name, name, schema)
        for tool in TOOLS.values()
        for name, schema in tool.parameters.get("properties", {}).items()
    ]


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    return [schema, *schema.get("anyOf", [])]


def _types(schema: dict[str, Any]) -> set[str]:
    return {branch["type"] for branch in _branches(schema) if isinstance(branch.get("type"), str)}


def _is_choice(schema: dict[str, Any]) -> bool:
    """An enum (inline or a $ref to one) or a boolean: the schema itself lists every value."""
    return _types(schema) <= {"boolean", "null"} or any("enum" in b or "$ref" in b for b in _branches(schema))


@pytest.mark.parametrize(
    ("tool", "argument", "schema"), [a for a in _arguments() if _types(a[2]) & {"integer", "number"}]
)
def test_every_numeric_argument_names_its_unit(tool: str, argument: str, schema: dict[str, Any]) -> None:
    description = schema.get("description", "")
    unit = next(rule for name, rule in UNIT_RULES if name.search(argument))
    assert unit.search(description), f"{tool}.{argument}: {description!r} does not name its unit ({unit.pattern})"


def test_every_free_form_argument_shows_an_example() -> None:
    """Choices (enums, booleans) list their values, a default is an example, and a cursor is opaque."""
    missing = [
        f"{tool}.{argument}"
        for tool, argument, schema in _arguments()
        if not _is_choice(schema)
        and schema.get("default") is None
        and argument != "cursor"
        and not any(branch.get("examples") for branch in _branches(schema))
    ]
    assert missing == []


def test_an_optional_argument_shows_its_example_on_the_property_itself() -> None:
    buried = [
        f"{tool}.{argument}"
        for tool, argument, schema in _arguments()
        if any("examples" in branch for branch in schema.get("anyOf", []))
    ]
    assert buried == []


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_every_tool_has_an_output_schema(name: str) -> None:
    output = TOOLS[name].fn_metadata.output_schema
    assert output is not None and output.get("type") == "object" and output.get("properties")


def test_the_tool_surface_stays_within_its_context_budget() -> None:
    surface = [
        {
            "name": tool.name,
            "description": tool.description,
            "inputSchema": tool.parameters,
            "outputSchema": tool.fn_metadata.output_schema,
        }
        for tool in TOOLS.values()
    ]
    size = len(json.dumps(surface, separators=(",", ":"), ensure_ascii=False).encode())
    assert size <= SURFACE_BUDGET_BYTES, f"tools/list grew to {size} bytes"
