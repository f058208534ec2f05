"""Offline postal-code centroids, so a store can be published from its address alone.

Backed by the `zipcodes` package's bundled US ZIP table; other countries need
explicit coordinates. A centroid is a few km from the door at worst, so the
location is flagged as approximate in the tool's answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import zipcodes

_US_ZIP = re.compile(r"^(\d{5})(?:-\d{4})?$")


@dataclass(frozen=True, slots=True)
class Centroid:
    latitude: float
    longitude: float
    timezone: str | None


def postal_centroid(country: str, postal_code: str | None) -> Centroid | None:
    if country != "US" or not postal_code:
        return None
    match = _US_ZIP.match(postal_code.strip())
    if not match:
        return None
    found = zipcodes.matching(match.group(1))  # type: ignore[no-untyped-call]
    if not found:
        return None
    record = found[0]
    return Centroid(float(record["lat"]), float(record["long"]), record.get("timezone") or None)
