"""Shapes of the catalog templates (the data lives in the catalog_* modules)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class G:
    """A product group: every line of `brand`, in every variant."""

    brand: str
    lines: tuple[str, ...]
    variants: tuple[str, ...] = ("",)
    price: tuple[int, int] | None = None  # cents; None: the category's range
    step: float | None = None  # price ratio between variants; None: the category's


@dataclass(frozen=True, slots=True)
class CategorySpec:
    category: str  # "Tools > Power Tools"
    department: str  # what kind of store sells it: hardware, grocery, health, ...
    price: tuple[int, int]  # cents, shelf price range of a group's first variant
    description: str  # one sentence; may use {name}, {brand}, {line}, {variant}
    groups: tuple[G, ...]
    variant_step: float = 1.5  # price ratio between consecutive variants (sizes)
    name_format: str = "{brand} {line} {variant}"
