"""Coordinates, distances and search boxes on the WGS84 ellipsoid.

Distances use Lambert's formula for long lines: a great-circle distance on the
auxiliary sphere of reduced latitudes, corrected to first order in the
flattening. It agrees with the exact geodesic to about 10 m over thousands of
kilometres, needs only elementary functions, and so can be written in SQL
step for step; `distance_km` is the reference that the SQL version mirrors, so
its order of operations must not change.

Near-antipodal pairs (points almost opposite each other on the globe) are out
of scope: the correction divides by cos(sigma / 2), which tends to 0 there.
Searches are limited to MAX_RADIUS_KM, far from that regime.

`bounding_box` gives a cheap, index-friendly pre-filter that is guaranteed to
contain every point within the radius as measured by `distance_km`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from localshelf.domain.errors import ErrorCode, InvalidInput

WGS84_A_KM = 6378.137
WGS84_F = 1 / 298.257223563
MAX_RADIUS_KM = 100.0

# Margin on the radius for bounding boxes: 1 % plus 1 m.
_BOX_RELATIVE_MARGIN = 1.01
_BOX_ABSOLUTE_MARGIN_KM = 0.001
# For sigma <= pi/2, distance_km >= A * sigma * (1 - 1.42 f): the Y term of the
# correction is at most 2 * sigma and the X term at most sigma**3 / 3 there.
# 1.5 f rounds that bound up, so radius / (A * (1 - 1.5 f)) never undershoots sigma.
_SIGMA_PER_KM = 1 / (WGS84_A_KM * (1 - 1.5 * WGS84_F))


def validate_coordinates(latitude: float, longitude: float) -> None:
    _require_in_range("latitude", latitude, 90.0)
    _require_in_range("longitude", longitude, 180.0)


def validate_radius(radius_km: float, max_km: float = MAX_RADIUS_KM) -> None:
    if not math.isfinite(radius_km):
        raise InvalidInput(f"radius_km must be a finite number, got {radius_km!r}.", ErrorCode.INVALID_RADIUS)
    if radius_km <= 0:
        raise InvalidInput(f"radius_km must be greater than 0, got {radius_km!r}.", ErrorCode.INVALID_RADIUS)
    if radius_km > max_km:
        raise InvalidInput(f"radius_km must be at most {max_km:g} km, got {radius_km!r}.", ErrorCode.INVALID_RADIUS)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance in km between two points (degrees), by Lambert's formula on WGS84.

    Not valid for near-antipodal points (see the module docstring).
    """
    b1 = _reduced_latitude(lat1)
    b2 = _reduced_latitude(lat2)
    return _lambert(b1, math.cos(b1), b2, math.cos(b2), lon2 - lon1)


def distances_from(latitude: float, longitude: float) -> Callable[[float, float], float]:
    """`distance_km(point, origin)` for many points from one origin, whose terms are computed once (a search
    measures every store in its radius). Same operations in the same order: the same result to the bit."""
    b2 = _reduced_latitude(latitude)
    cos_b2 = math.cos(b2)

    def to(point_latitude: float, point_longitude: float) -> float:
        b1 = _reduced_latitude(point_latitude)
        return _lambert(b1, math.cos(b1), b2, cos_b2, longitude - point_longitude)

    return to


def _lambert(b1: float, cos_b1: float, b2: float, cos_b2: float, delta_lon: float) -> float:
    h = math.sin((b2 - b1) / 2) ** 2 + cos_b1 * cos_b2 * math.sin(math.radians(delta_lon) / 2) ** 2
    h = min(1.0, max(0.0, h))
    sigma = 2 * math.asin(math.sqrt(h))
    if sigma < 1e-12:
        return 0.0
    p = (b1 + b2) / 2
    q = (b2 - b1) / 2
    x = (sigma - math.sin(sigma)) * math.sin(p) ** 2 * math.cos(q) ** 2 / math.cos(sigma / 2) ** 2
    y = (sigma + math.sin(sigma)) * math.cos(p) ** 2 * math.sin(q) ** 2 / math.sin(sigma / 2) ** 2
    return WGS84_A_KM * (sigma - WGS84_F / 2 * (x + y))


@dataclass(frozen=True)
class BoundingBox:
    """A latitude/longitude box in degrees.

    When `crosses_antimeridian` is true the box wraps around ±180°: `min_lon` is
    then greater than `max_lon` and the box covers longitudes >= min_lon OR
    <= max_lon (e.g. 179.5 .. -179.5 is the 1° strip around the antimeridian).
    Otherwise it covers min_lon <= longitude <= max_lon.
    """

    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float
    crosses_antimeridian: bool = False

    def contains(self, latitude: float, longitude: float) -> bool:
        if not self.min_lat <= latitude <= self.max_lat:
            return False
        if self.crosses_antimeridian:
            return longitude >= self.min_lon or longitude <= self.max_lon
        return self.min_lon <= longitude <= self.max_lon


def bounding_box(latitude: float, longitude: float, radius_km: float) -> BoundingBox:
    """A box containing every point within `radius_km` of the centre by `distance_km`.

    The box is conservative: it is built for the radius plus 1 % plus 1 m.
    Latitudes are clamped to [-90, 90]; a box that reaches a pole spans all
    longitudes [-180, 180]; a box that reaches ±180° is returned wrapped (see
    `BoundingBox`). Radii of a quarter meridian (~10,000 km) or more give the
    whole world.
    """
    validate_coordinates(latitude, longitude)
    validate_radius(radius_km, max_km=math.inf)
    # Work on the auxiliary sphere of reduced latitudes, where distance_km's
    # sigma is an ordinary great-circle angle, then map latitudes back.
    sigma = (radius_km * _BOX_RELATIVE_MARGIN + _BOX_ABSOLUTE_MARGIN_KM) * _SIGMA_PER_KM
    if sigma >= math.pi / 2:
        return BoundingBox(-90.0, 90.0, -180.0, 180.0)
    b0 = _reduced_latitude(latitude)
    low, high = b0 - sigma, b0 + sigma
    if low <= -math.pi / 2 or high >= math.pi / 2:
        return BoundingBox(_geodetic_latitude(low), _geodetic_latitude(high), -180.0, 180.0)
    half_width = math.degrees(math.asin(math.sin(sigma) / math.cos(b0)))
    return _wrapped_box(
        _geodetic_latitude(low), _geodetic_latitude(high), longitude - half_width, longitude + half_width
    )


def _require_in_range(name: str, value: float, limit: float) -> None:
    if not math.isfinite(value):
        raise InvalidInput(f"{name} must be a finite number, got {value!r}.", ErrorCode.INVALID_COORDINATES)
    if not -limit <= value <= limit:
        raise InvalidInput(
            f"{name} must be between {-limit:g} and {limit:g}, got {value!r}.", ErrorCode.INVALID_COORDINATES
        )


def _reduced_latitude(latitude: float) -> float:
    """Reduced (parametric) latitude in radians of a geodetic latitude in degrees."""
    return math.atan((1 - WGS84_F) * math.tan(math.radians(latitude)))


def _geodetic_latitude(reduced: float) -> float:
    """Inverse of `_reduced_latitude`, clamped to [-90, 90] degrees."""
    if reduced >= math.pi / 2:
        return 90.0
    if reduced <= -math.pi / 2:
        return -90.0
    return math.degrees(math.atan(math.tan(reduced) / (1 - WGS84_F)))


def _wrapped_box(min_lat: float, max_lat: float, min_lon: float, max_lon: float) -> BoundingBox:
    # The half width is under 90°, so at most one side passes ±180. Reaching
    # exactly ±180 also wraps, so that both spellings of the antimeridian match.
    if min_lon <= -180.0:
        return BoundingBox(min_lat, max_lat, min_lon + 360.0, max_lon, crosses_antimeridian=True)
    if max_lon >= 180.0:
        return BoundingBox(min_lat, max_lat, min_lon, max_lon - 360.0, crosses_antimeridian=True)
    return BoundingBox(min_lat, max_lat, min_lon, max_lon)
