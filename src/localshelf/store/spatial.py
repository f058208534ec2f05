"""Great-circle distance as a portable SQL expression.

`lambert_distance_km` mirrors `localshelf.domain.geo.distance_km` step for step
(Lambert's formula on the WGS84 ellipsoid) using only functions both PostgreSQL
and SQLite have, so both backends compute, filter and rank by the same number.
The indexed radius pre-filters (GiST on PostGIS, a lat/lon box on SQLite) live in
`localshelf.store.dialects`; this exact distance is applied after them.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Float, case, func, literal
from sqlalchemy.sql.elements import SQLCoreOperations as SQLExpression

from localshelf.domain.geo import WGS84_A_KM, WGS84_F


def _sq(value: ColumnElement[float]) -> ColumnElement[float]:
    return value * value


def _reduced_latitude(latitude_degrees: SQLExpression[float] | float) -> ColumnElement[float]:
    return func.atan((1 - WGS84_F) * func.tan(func.radians(latitude_degrees)), type_=Float)


def lambert_distance_km(
    lat1: SQLExpression[float], lon1: SQLExpression[float], lat2: float, lon2: float
) -> ColumnElement[float]:
    b1 = _reduced_latitude(lat1)
    b2 = _reduced_latitude(literal(lat2, Float))
    h = _sq(func.sin((b2 - b1) / 2)) + func.cos(b1) * func.cos(b2) * _sq(
        func.sin(func.radians(literal(lon2, Float) - lon1) / 2)
    )
    h = case((h > 1.0, 1.0), (h < 0.0, 0.0), else_=h)
    sigma = 2 * func.asin(func.sqrt(h), type_=Float)
    p = (b1 + b2) / 2
    q = (b2 - b1) / 2
    x = (sigma - func.sin(sigma)) * _sq(func.sin(p)) * _sq(func.cos(q)) / _sq(func.cos(sigma / 2))
    y = (sigma + func.sin(sigma)) * _sq(func.cos(p)) * _sq(func.sin(q)) / _sq(func.sin(sigma / 2))
    return case((sigma < 1e-12, 0.0), else_=WGS84_A_KM * (sigma - WGS84_F / 2 * (x + y)))
