"""The issue's scales. Country runs on PostGIS only."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    stores: int
    offers: int
    products: int
    postgis_only: bool = False


SCALES = {
    "tiny": Scale("tiny", stores=20, offers=2_000, products=500),  # for the smoke test
    "town": Scale("town", stores=200, offers=20_000, products=5_000),
    "city": Scale("city", stores=5_000, offers=500_000, products=100_000),
    "country": Scale("country", stores=50_000, offers=5_000_000, products=500_000, postgis_only=True),
}
