"""Demand signals without personal data: a search point becomes a coarse grid cell, a query only brand-name keys.

A cell is 0.1° × 0.1° (about 11 km north-south), named by its south-west corner ("45.5,-122.7"); nothing finer
than the cell ever leaves the call. Brand names are compared as `brand_key` strings: a run of up to
`MAX_BRAND_WORDS` consecutive query words can name a brand ("black & decker drill" names "Black & Decker").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from localshelf.domain.brands import brand_key

CELLS_PER_DEGREE = 10
MAX_BRAND_WORDS = 4
_EDGE_PUNCTUATION = ",;:!?()[]{}\"'"


@dataclass(frozen=True)
class Cell:
    name: str  # "lat,lon" of the south-west corner
    latitude: float  # the centre
    longitude: float


def _index(value: float, last: int) -> int:
    # Rounded first so 45.6 (stored as 45.59999…) lands in the cell it names, then clamped so 90°/180° stay valid.
    return max(-last - 1, min(last, math.floor(round(value * CELLS_PER_DEGREE, 6))))


def cell_of(latitude: float, longitude: float) -> Cell:
    lat_i = _index(latitude, 90 * CELLS_PER_DEGREE - 1)
    lon_i = _index(longitude, 180 * CELLS_PER_DEGREE - 1)
    return Cell(
        name=f"{lat_i / CELLS_PER_DEGREE:.1f},{lon_i / CELLS_PER_DEGREE:.1f}",
        latitude=round((lat_i + 0.5) / CELLS_PER_DEGREE, 2),
        longitude=round((lon_i + 0.5) / CELLS_PER_DEGREE, 2),
    )


def query_brand_keys(query: str) -> set[str]:
    """Every run of 1 to MAX_BRAND_WORDS consecutive words of the query, as brand keys."""
    words = [word.strip(_EDGE_PUNCTUATION) for word in brand_key(query).split()]
    words = [word for word in words if word]
    return {
        " ".join(words[start:end])
        for start in range(len(words))
        for end in range(start + 1, min(len(words), start + MAX_BRAND_WORDS) + 1)
    }
