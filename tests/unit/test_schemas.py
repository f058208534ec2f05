"""The flattened output schemas accept exactly what pydantic's schemas accept."""

from __future__ import annotations

from typing import Any, Literal

import jsonschema
import pytest
from pydantic import BaseModel, Field, TypeAdapter

from localshelf.tools import tool_definitions
from localshelf.tools.schemas import flattened


class Address(BaseModel):
    line1: str = Field(max_length=5)
    line2: str | None = None


class Store(BaseModel):
    name: str
    address: Address
    backup: Address | None = None
    kind: Literal["shop", "depot"] | None = None
    rating: float | None = Field(default=None, ge=0, le=5)


class Node(BaseModel):
    label: str
    children: list[Node] = []


def _accepts(schema: dict[str, Any], instance: Any) -> bool:
    return not list(jsonschema.Draft202012Validator(schema).iter_errors(instance))


STORE = {"name": "A", "address": {"line1": "x"}}
STORE_CASES = [
    STORE,
    {**STORE, "backup": None, "kind": None, "rating": None},
    {**STORE, "backup": {"line1": "y", "line2": "z"}, "kind": "depot", "rating": 4.5},
    {**STORE, "address": {"line1": "toolong"}},  # maxLength inside an inlined definition
    {**STORE, "address": None},  # not nullable
    {**STORE, "backup": {"line2": "z"}},  # required inside a nullable object
    {**STORE, "kind": "warehouse"},  # enum
    {**STORE, "rating": 6},  # bound on a nullable number
    {**STORE, "rating": "4"},
    {**STORE, "backup": 3},
]


@pytest.mark.parametrize("instance", STORE_CASES)
def test_flattening_keeps_the_meaning(instance: dict[str, Any]) -> None:
    original = TypeAdapter(Store).json_schema()
    assert _accepts(flattened(original), instance) == _accepts(original, instance)


def test_flattened_schemas_have_no_refs_and_no_nullable_unions() -> None:
    flat = flattened(TypeAdapter(Store).json_schema())
    text = repr(flat)
    assert "$ref" not in text and "$defs" not in text and "anyOf" not in text
    assert flat["properties"]["rating"]["type"] == ["number", "null"]
    assert flat["properties"]["kind"]["enum"] == ["shop", "depot", None]


def test_a_recursive_definition_stays_a_reference() -> None:
    original = TypeAdapter(Node).json_schema()
    flat = flattened(original)
    tree = {"label": "a", "children": [{"label": "b", "children": [{"label": "c"}]}]}
    assert _accepts(flat, tree) and not _accepts(flat, {"label": "a", "children": [{"children": []}]})
    assert "Node" in flat["$defs"]


def test_every_published_output_schema_is_flat() -> None:
    for tool in tool_definitions():
        schema = tool.output_schema
        assert schema is not None, tool.name
        jsonschema.Draft202012Validator.check_schema(schema)
        assert "$ref" not in repr(schema), tool.name
