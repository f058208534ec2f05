"""The SQL distance both backends filter and rank by equals the Python rule, and PostGIS agrees."""

from __future__ import annotations

import random

from geographiclib.geodesic import Geodesic
from sqlalchemy import literal, select, text

from localshelf.domain.geo import distance_km
from localshelf.store.db import Database
from localshelf.store.dialects import distance_km as sql_distance_km


def _pairs(count: int) -> list[tuple[float, float, float, float]]:
    rng = random.Random(7)
    pairs = [(45.5152, -122.6784, 45.5152, -122.6784), (40.7128, -74.0060, 34.0522, -118.2437)]
    while len(pairs) < count:
        lat1, lon1 = rng.uniform(-80, 80), rng.uniform(-180, 180)
        pairs.append((lat1, lon1, lat1 + rng.uniform(-2, 2), lon1 + rng.uniform(-2, 2)))
    return [(a, b, max(-90.0, min(90.0, c)), ((d + 180) % 360) - 180) for a, b, c, d in pairs]


def test_sql_distance_equals_the_python_rule_on_every_backend(database: Database) -> None:
    with database.session() as session:
        for lat1, lon1, lat2, lon2 in _pairs(200):
            expression = sql_distance_km(literal(lat1), literal(lon1), lat2, lon2)
            in_sql = session.scalar(select(expression))
            assert in_sql is not None
            assert abs(float(in_sql) - distance_km(lat1, lon1, lat2, lon2)) < 1e-9


def test_postgis_geodesic_and_our_distance_agree_within_half_a_percent(postgis_database: Database) -> None:
    query = text(
        "SELECT ST_Distance(ST_SetSRID(ST_MakePoint(:lon1, :lat1), 4326)::geography,"
        " ST_SetSRID(ST_MakePoint(:lon2, :lat2), 4326)::geography) / 1000.0"
    )
    with postgis_database.session() as session:
        for lat1, lon1, lat2, lon2 in _pairs(100)[1:]:
            postgis_km = float(session.scalar(query, {"lat1": lat1, "lon1": lon1, "lat2": lat2, "lon2": lon2}))
            truth_km = Geodesic.WGS84.Inverse(lat1, lon1, lat2, lon2)["s12"] / 1000.0
            ours = distance_km(lat1, lon1, lat2, lon2)
            assert abs(postgis_km - truth_km) <= 0.001 * truth_km + 1e-6
            assert abs(ours - postgis_km) <= 0.005 * postgis_km
