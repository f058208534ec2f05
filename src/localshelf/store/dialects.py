"""Everything that differs between PostgreSQL+PostGIS and SQLite, in one place.

Each backend supplies index-backed *pre-filters* that return a superset of the
true answer; the exact, portable predicates in `localshelf.store.queries` then
decide. That is what keeps results identical on both backends:

- radius: PostGIS `ST_DWithin` on the GiST-indexed geography column / a lat-lon
  box over the B-tree index on SQLite; the exact distance is then computed in Python
  (`localshelf.domain.geo.distance_km`) for the few candidates, and handed back to the
  database as a small table (`distance_table`: `unnest` of two arrays / `json_each`);
- text: the GIN-indexed `simple` tsvector / the FTS5 table, both over the same
  pre-tokenised `search_doc`;
- typo candidates: pg_trgm's `%` on the term vocabulary / a length-bounded scan.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

import orjson
from geoalchemy2 import Geography
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    FromClause,
    Insert,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
    column,
    func,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import SQLCoreOperations
from sqlalchemy.types import JSON, Text

from localshelf.domain.geo import bounding_box
from localshelf.store.models import Base, Location, Product, SearchTerm

# Kept a little wider than the exact radius so the pre-filter never drops a true match.
_RADIUS_SLACK = 1.002
_RADIUS_SLACK_M = 5.0
# Great-circle distance in km, `localshelf.domain.geo.distance_km`: a plpgsql function on
# PostgreSQL (initial migration), the Python function itself on SQLite (registered on connect).
DISTANCE_FUNCTION = "localshelf_distance_km"


class NearbyStore(NamedTuple):
    """A published location inside a search radius and its exact distance from the search point."""

    location_id: int
    distance_km: float


def distance_km(
    latitude: SQLCoreOperations[float],
    longitude: SQLCoreOperations[float],
    to_latitude: SQLCoreOperations[float] | float,
    to_longitude: SQLCoreOperations[float] | float,
) -> ColumnElement[float]:
    """The exact distance in SQL, for set-based queries whose both ends are columns (demand gaps)."""
    ends = [literal(value, Float) if isinstance(value, float) else value for value in (to_latitude, to_longitude)]
    distance: ColumnElement[float] = getattr(func, DISTANCE_FUNCTION)(latitude, longitude, *ends, type_=Float)
    return distance


class RadiusValues(NamedTuple):
    """The bind parameters of `Dialect.radius_filter(wraps)` for one search point and radius."""

    wraps: bool
    parameters: dict[str, float]


# pg_trgm's default `%` threshold; the exact similarity cut-off applied in Python is higher.
TRGM_PREFILTER_THRESHOLD = 0.3


class Dialect(Protocol):
    name: str

    def radius_filter(self, wraps: bool) -> ColumnElement[bool]:
        """The index-backed radius pre-filter on `Location`, read from the bind parameters of `radius_values`
        (`wraps`: the search box crosses the antimeridian, which SQLite's box needs to know)."""

    def radius_values(self, latitude: float, longitude: float, radius_km: float) -> RadiusValues: ...

    def text_match(self, query: ColumnElement[str]) -> ColumnElement[bool]:
        """The text index's pre-filter for products; `query` carries `text_query(terms)`."""

    def text_query(self, terms: Sequence[str]) -> str: ...

    def word_prefix(self, document: SQLCoreOperations[str], needle: ColumnElement[str]) -> ColumnElement[bool]:
        """The exact test: a word of `document` (" word word ", terms [a-z0-9]+) starts with the term;
        `needle` carries " " + term."""

    def distance_table(self) -> FromClause:
        """A derived table `nearby(id, distance_km)` read from the bind parameters `distance_values` gives."""

    def distance_values(self, stores: Sequence[NearbyStore]) -> dict[str, str]: ...

    def computed_first(self, query: Select[*tuple[Any, ...]], name: str) -> FromClause:
        """`query` as a named derived table that a join reads whole, instead of re-running it per outer row."""

    def similar_terms(self, session: Session, term: str) -> list[str]: ...

    def insert_ignoring_duplicates(self, model: type[Base]) -> Insert: ...

    def insert(self, model: type[Base]) -> Any:
        """The dialect's INSERT, which has `on_conflict_do_update` and `.excluded` on both backends."""


def _array_literal(values: Iterable[float]) -> str:
    # repr() of a float round-trips exactly through PostgreSQL's float8 input.
    return "{" + ",".join(map(repr, values)) + "}"


class PostgisDialect:
    name = "postgresql"
    # Columns the ORM does not map (see the initial migration).
    _geog: ColumnElement[Any] = literal_column("locations.geog", type_=Geography("POINT", srid=4326))
    _search_vector: ColumnElement[Any] = literal_column("products.search_vector")

    def radius_filter(self, wraps: bool) -> ColumnElement[bool]:
        longitude, latitude, meters = (bindparam(name, type_=Float()) for name in ("near_lon", "near_lat", "near_m"))
        point = func.ST_SetSRID(func.ST_MakePoint(longitude, latitude), 4326)
        within: ColumnElement[bool] = func.ST_DWithin(self._geog, func.Geography(point), meters, type_=Boolean)
        return within

    def radius_values(self, latitude: float, longitude: float, radius_km: float) -> RadiusValues:
        meters = radius_km * 1000 * _RADIUS_SLACK + _RADIUS_SLACK_M
        return RadiusValues(False, {"near_lon": longitude, "near_lat": latitude, "near_m": meters})

    def text_match(self, query: ColumnElement[str]) -> ColumnElement[bool]:
        matches: ColumnElement[bool] = self._search_vector.bool_op("@@")(
            func.to_tsquery(text("'simple'::regconfig"), query)
        )
        return matches

    def text_query(self, terms: Sequence[str]) -> str:
        return " & ".join(f"{term}:*" for term in terms)

    def word_prefix(self, document: SQLCoreOperations[str], needle: ColumnElement[str]) -> ColumnElement[bool]:
        # strpos(...) <> 0, not LIKE '% term%': the same answer, but PostgreSQL estimates such a LIKE
        # (and `strpos > 0`) as keeping almost nothing, and planning for one matching product where
        # there were a thousand chose nested loops (150 ms instead of 15). `<>` on an expression is
        # estimated as keeping nearly every row, which leaves the GIN index's estimate in charge.
        found: ColumnElement[bool] = func.strpos(document, needle) != 0
        return found

    def distance_table(self) -> FromClause:
        # Two arrays, each bound as one text literal ('{1,2,3}') and cast: one statement text for any
        # number of stores, the planner sees the real row count (unnest's support function reads the
        # array's length), and the driver sends one string instead of dumping a list element by element.
        ids = cast(bindparam("nearby_ids", type_=String()), postgresql.ARRAY(Integer))
        kms = cast(bindparam("nearby_km", type_=String()), postgresql.ARRAY(Float))
        return (
            func.unnest(ids, kms)
            .table_valued(column("id", Integer), column("distance_km", Float))
            .render_derived("nearby")
        )

    def distance_values(self, stores: Sequence[NearbyStore]) -> dict[str, str]:
        return {
            "nearby_ids": _array_literal(store.location_id for store in stores),
            "nearby_km": _array_literal(store.distance_km for store in stores),
        }

    def computed_first(self, query: Select[*tuple[Any, ...]], name: str) -> FromClause:
        # OFFSET 0 keeps the subquery a plan of its own: PostgreSQL then reads the text index once and hashes
        # the result, instead of probing the products table once per nearby offer (8,000 probes, 12 ms, where
        # the hash takes 3), and it still sees the columns' statistics to hash the smaller side (a CTE hides
        # them: 40 % slower). Measured by the search benchmark's plan check and latencies.
        return query.offset(0).subquery(name)

    def similar_terms(self, session: Session, term: str) -> list[str]:
        rows = session.execute(select(SearchTerm.term).where(SearchTerm.term.op("%")(term)))
        return [row[0] for row in rows]

    def insert_ignoring_duplicates(self, model: type[Base]) -> Insert:
        return postgresql.insert(model).on_conflict_do_nothing()

    def insert(self, model: type[Base]) -> postgresql.Insert:
        return postgresql.insert(model)


class SqliteDialect:
    name = "sqlite"

    def radius_filter(self, wraps: bool) -> ColumnElement[bool]:
        min_lat, max_lat, min_lon, max_lon = (
            bindparam(name, type_=Float()) for name in ("box_min_lat", "box_max_lat", "box_min_lon", "box_max_lon")
        )
        in_lat = Location.latitude.between(min_lat, max_lat)
        if wraps:
            return and_(in_lat, or_(Location.longitude >= min_lon, Location.longitude <= max_lon))
        return and_(in_lat, Location.longitude.between(min_lon, max_lon))

    def radius_values(self, latitude: float, longitude: float, radius_km: float) -> RadiusValues:
        box = bounding_box(latitude, longitude, radius_km)
        return RadiusValues(
            box.crosses_antimeridian,
            {
                "box_min_lat": box.min_lat,
                "box_max_lat": box.max_lat,
                "box_min_lon": box.min_lon,
                "box_max_lon": box.max_lon,
            },
        )

    def text_match(self, query: ColumnElement[str]) -> ColumnElement[bool]:
        fts = table("product_fts", column("rowid"))
        matching = select(fts.c.rowid).where(literal_column("product_fts").op("MATCH")(query))
        found: ColumnElement[bool] = Product.id.in_(matching)
        return found

    def text_query(self, terms: Sequence[str]) -> str:
        return " AND ".join(f'"{term}"*' for term in terms)

    def word_prefix(self, document: SQLCoreOperations[str], needle: ColumnElement[str]) -> ColumnElement[bool]:
        found: ColumnElement[bool] = func.instr(document, needle) > 0
        return found

    def distance_table(self) -> FromClause:
        # One JSON parameter: SQLite has no arrays, and a VALUES list would hit the bound-parameter
        # and compound-select limits for a wide radius.
        each = func.json_each(bindparam("nearby_json", type_=String())).table_valued("value")
        return select(
            cast(func.json_extract(each.c.value, "$[0]"), Integer).label("id"),
            cast(func.json_extract(each.c.value, "$[1]"), Float).label("distance_km"),
        ).subquery("nearby")

    def distance_values(self, stores: Sequence[NearbyStore]) -> dict[str, str]:
        return {"nearby_json": json.dumps([[store.location_id, store.distance_km] for store in stores])}

    def computed_first(self, query: Select[*tuple[Any, ...]], name: str) -> FromClause:
        # SQLite has no hash join: as a plain subquery it re-ran the text search once per nearby store
        # (1.2 s at city scale). Materialized, it is read once and probed through an automatic index (6 ms).
        return query.cte(name).prefix_with("MATERIALIZED")

    def similar_terms(self, session: Session, term: str) -> list[str]:
        # A similar word cannot be wildly shorter or longer; the window is deliberately generous.
        low, high = max(1, len(term) // 4), len(term) * 4 + 4
        rows = session.execute(select(SearchTerm.term).where(func.length(SearchTerm.term).between(low, high)))
        return [row[0] for row in rows]

    def insert_ignoring_duplicates(self, model: type[Base]) -> Insert:
        return sqlite.insert(model).on_conflict_do_nothing()

    def insert(self, model: type[Base]) -> sqlite.Insert:
        return sqlite.insert(model)


def dialect_for(name: str) -> Dialect:
    if name == "postgresql":
        return PostgisDialect()
    if name == "sqlite":
        return SqliteDialect()
    raise ValueError(f"Unsupported database dialect {name!r}: use PostgreSQL+PostGIS or SQLite.")


def unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def bound_rows(columns: Sequence[Any]) -> Select[*tuple[Any, ...]]:
    """PostgreSQL: a batch of rows bound as ONE JSON parameter (`bound_rows_parameter`), read back by
    `json_to_recordset` as a SELECT of `columns` (each typed as its column, so the server converts).

    One statement per batch instead of one per row: with no prepared statements, PostgreSQL parsed and planned
    a staging upsert once for every row of an executemany (two thirds of its work in a sync). One JSON document
    is written by orjson; an array literal per column cost twice as much Python per row."""
    incoming = (
        func.json_to_recordset(cast(bindparam("incoming_rows", type_=Text()), JSON))
        .table_valued(*(column(c.name, c.type) for c in columns))
        .render_derived("incoming", with_types=True)
    )
    return select(*(incoming.c[c.name] for c in columns))


def bound_rows_parameter(columns: Sequence[Any], rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """The bind parameter of `bound_rows(columns)`: the rows as a JSON array of objects. Every row has the keys
    of `columns` (the callers build them so); a key that is not a column would be ignored by the server."""
    names = {c.name for c in columns}
    missing = names - rows[0].keys() if rows else set()
    if missing:
        raise ValueError(f"rows lack columns {sorted(missing)}")
    documents = [row if isinstance(row, dict) else dict(row) for row in rows]
    # A naive datetime is UTC, as UtcDateTime binds it. orjson writes a sync's rows 5x faster than the json module
    # (the encoding was an eighth of the sync's unit-of-work time).
    return {"incoming_rows": orjson.dumps(documents, option=orjson.OPT_NAIVE_UTC).decode()}
