"""SQL for the POS staging tables and the offers built from them. Every write is one statement per batch.

Staged rows carry the POS's own change time (`pos_updated_at`); a write only lands when it is at least as
new as what is stored, so a late webhook or a retried delivery can never roll stock or a price back.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Executable,
    Insert,
    Row,
    any_,
    bindparam,
    case,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import TableValuedAlias

from localshelf.store.db import UnitOfWork
from localshelf.store.dialects import bound_rows, bound_rows_parameter, dialect_for
from localshelf.store.models import (
    Base,
    InStoreOffer,
    InventoryMovement,
    PosItem,
    PosLocationLink,
    PosStock,
    Product,
    RetailerItem,
    SearchTerm,
)

ITEM_FIELDS = (
    "product_external_id",
    "inventory_item_id",
    "sku",
    "barcode",
    "gtin",
    "name",
    "brand",
    "category",
    "description",
    "image_urls",
    "price_minor",
    "currency",
    "active",
    "pos_updated_at",
)  # never `matched_gtin`: the retailer's match (match_retailer_item) survives every sync and webhook


def _one_of(session: Session, column_: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column IN (values)`; on PostgreSQL as one array parameter (`= ANY`). An expanding IN binds one parameter
    per value, rendered by SQLAlchemy and parsed by psycopg again for every statement: 2.4 vs 0.7 ms for 200 ids."""
    condition: ColumnElement[bool]
    if session.get_bind().dialect.name == "postgresql":
        condition = column_ == any_(_array_of(column_, values))
    else:
        condition = column_.in_(list(values))
    return condition


def _array_of(column_: Any, values: Iterable[Any]) -> BindParameter[Any]:
    return bindparam(None, list(values), type_=postgresql.ARRAY(column_.type))


def _unnested(column_: Any, values: Iterable[Any], name: str) -> TableValuedAlias:
    """PostgreSQL: `values` as a one-column table `name(value)`, bound as one array typed like `column_`."""
    return func.unnest(_array_of(column_, values)).table_valued("value").render_derived(name)


def _executemany(uow: UnitOfWork, statement: Executable, rows: Sequence[Mapping[str, Any]]) -> int:
    """One cached statement run for every row (DB-API executemany, on the Core connection: no ORM bookkeeping);
    returns the rows it inserted or changed. No RETURNING: on PostgreSQL that turns a batch into one huge
    multi-row VALUES statement that psycopg parses again for every batch (a fifth of a 10k-SKU sync)."""
    uow.session.flush()  # as Session.execute would: pending ORM changes of the unit go first
    connection = uow.session.connection()
    result = connection.execute(statement.execution_options(preserve_rowcount=True), list(rows))
    return max(result.rowcount, 0)


def _write_rows(uow: UnitOfWork, statement: Insert, rows: Sequence[Mapping[str, Any]], key: Sequence[str] = ()) -> int:
    """Run an INSERT for every row; returns the rows it inserted or changed (as `_executemany` counts them).

    PostgreSQL: one statement for the whole batch, the rows bound as one JSON parameter (`dialects.bound_rows`). An
    ON CONFLICT DO UPDATE may not touch one row twice in a statement, so a batch repeating its conflict `key`
    keeps the row-by-row path (it applies the repeats in order). SQLite: executemany (cheap in-process)."""
    if uow.dialect.name != "postgresql" or _repeats_a_key(rows, key):
        return _executemany(uow, statement, rows)
    batch, columns = _from_bound_rows(statement, tuple(rows[0]))
    uow.session.flush()
    connection = uow.session.connection()
    result = connection.execute(batch, bound_rows_parameter(columns, rows))
    return max(result.rowcount, 0)


@functools.lru_cache(maxsize=32)
def _from_bound_rows(statement: Insert, names: tuple[str, ...]) -> tuple[Insert, list[Any]]:
    """`statement` reading its rows from one bound JSON parameter, built once per statement and columns: a sync
    writes ~1,700 pages, and building the statement and its cache key each time was a tenth of its page writes.
    The statements come from the cached builders below, so the same object comes back every time."""
    columns = [statement.table.c[name] for name in names]
    batch = statement.from_select(list(names), bound_rows(columns)).execution_options(preserve_rowcount=True)
    return batch, columns


def _repeats_a_key(rows: Sequence[Mapping[str, Any]], key: Sequence[str]) -> bool:
    return bool(key) and len(set(map(itemgetter(*key), rows))) < len(rows)


def upsert_items(uow: UnitOfWork, integration_id: int, rows: Sequence[Mapping[str, Any]], job_id: int | None) -> None:
    """Stage POS items; fields change only when the row is at least as new as the stored one. With a full sync's
    `job_id` every listed row is marked seen by it, whatever the newer data says."""
    if not rows:
        return
    values = [{"deleted": False, **row, "integration_id": integration_id, "last_seen_job_id": job_id} for row in rows]
    statement = _items_upsert(uow.dialect.name, seen_by_job=job_id is not None)
    _write_rows(uow, statement, values, key=("integration_id", "external_id"))


@functools.cache
def _items_upsert(dialect_name: str, seen_by_job: bool) -> Insert:
    insert = dialect_for(dialect_name).insert(PosItem)
    guarded = {name: insert.excluded[name] for name in (*ITEM_FIELDS, "deleted")}
    statement: Insert = insert.on_conflict_do_update(
        index_elements=[PosItem.integration_id, PosItem.external_id],
        **_newer_only(PosItem, insert.excluded, guarded, seen_by_job=seen_by_job),
    )
    return statement


def upsert_stock(uow: UnitOfWork, integration_id: int, rows: Sequence[Mapping[str, Any]], job_id: int | None) -> int:
    """Stage quantities; returns how many rows were written (without a job: those newer than what was stored;
    with a full sync's `job_id`, which marks every listed level seen: all of them)."""
    if not rows:
        return 0
    values = [{**row, "integration_id": integration_id, "last_seen_job_id": job_id} for row in rows]
    key = ("integration_id", "inventory_item_id", "location_external_id")
    return _write_rows(uow, stock_upsert(uow, seen_by_job=job_id is not None), values, key=key)


def stock_upsert(uow: UnitOfWork, seen_by_job: bool) -> Insert:
    """The guarded upsert of staged levels (one row per integration, item and location): a level lands only
    when it is at least as new as the stored one."""
    return _stock_upsert(uow.dialect.name, seen_by_job)


@functools.cache
def _stock_upsert(dialect_name: str, seen_by_job: bool) -> Insert:
    insert = dialect_for(dialect_name).insert(PosStock)
    # Not `last_seen_job_id`: a webhook's level landing while a full sync runs must not unmark what it listed.
    guarded = {"quantity": insert.excluded.quantity, "pos_updated_at": insert.excluded.pos_updated_at}
    statement: Insert = insert.on_conflict_do_update(
        index_elements=[PosStock.integration_id, PosStock.inventory_item_id, PosStock.location_external_id],
        **_newer_only(PosStock, insert.excluded, guarded, seen_by_job=seen_by_job),
    )
    return statement


def _newer_only(
    model: type[PosItem] | type[PosStock], excluded: Any, changes: Mapping[str, Any], seen_by_job: bool
) -> dict[str, Any]:
    """ON CONFLICT arguments that apply `changes` only from a row at least as new as the stored one.

    Without a job: a WHERE skips older rows. With one: every row is updated so that `last_seen_job_id` is set
    in the same statement (not a second UPDATE of every row just written), each guarded column keeping its
    value when the incoming row is older (SET expressions all read the row as it was, on both backends)."""
    newer = excluded.pos_updated_at >= model.pos_updated_at
    if not seen_by_job:
        return {"set_": dict(changes), "where": newer}
    kept = {name: case((newer, value), else_=getattr(model, name)) for name, value in changes.items()}
    return {"set_": {**kept, "last_seen_job_id": excluded.last_seen_job_id}}


def move_stock(
    uow: UnitOfWork, integration_id: int, inventory_item_id: str, location_external_id: str, delta: int, at: datetime
) -> int | None:
    """Add ``delta`` to a staged level if ``at`` is strictly newer than it (its time becomes ``at``); returns the new
    quantity, or None when the level is missing or as new (a level counted at or after ``at`` already includes it)."""
    result = uow.session.execute(
        update(PosStock)
        .where(
            PosStock.integration_id == integration_id,
            PosStock.inventory_item_id == inventory_item_id,
            PosStock.location_external_id == location_external_id,
            PosStock.pos_updated_at < at,
        )
        .values(quantity=PosStock.quantity + delta, pos_updated_at=at)
        .returning(PosStock.quantity)
        .execution_options(synchronize_session=False)
    )
    row = result.first()
    return None if row is None else int(row[0])


def stock_quantity(
    session: Session, integration_id: int, inventory_item_id: str, location_external_id: str
) -> int | None:
    return session.scalar(
        select(PosStock.quantity).where(
            PosStock.integration_id == integration_id,
            PosStock.inventory_item_id == inventory_item_id,
            PosStock.location_external_id == location_external_id,
        )
    )


def record_movement(uow: UnitOfWork, values: Mapping[str, Any]) -> int | None:
    """Insert one inventory movement; None when its (organization, external_id) was recorded before."""
    return uow.session.scalar(
        uow.dialect.insert_ignoring_duplicates(InventoryMovement).values(dict(values)).returning(InventoryMovement.id)
    )


def offer_id_of(session: Session, pos_item_id: int, location_id: int) -> int | None:
    return session.scalar(
        select(InStoreOffer.id).where(InStoreOffer.pos_item_id == pos_item_id, InStoreOffer.location_id == location_id)
    )


def item_by_external_id(session: Session, integration_id: int, external_id: str) -> PosItem | None:
    return session.scalar(
        select(PosItem).where(PosItem.integration_id == integration_id, PosItem.external_id == external_id)
    )


def mark_unlisted_items_deleted(uow: UnitOfWork, integration_id: int, job_id: int, listed_since: datetime) -> int:
    """After a full listing: items it did not list (and nobody touched since it began) are deleted in the POS."""
    result = uow.session.execute(
        update(PosItem)
        .where(
            PosItem.integration_id == integration_id,
            PosItem.deleted.is_(False),
            (PosItem.last_seen_job_id.is_(None)) | (PosItem.last_seen_job_id != job_id),
            PosItem.pos_updated_at < listed_since,
        )
        .values(deleted=True)
        .returning(PosItem.id)
    )
    return len(result.all())


def drop_unlisted_stock(
    uow: UnitOfWork, integration_id: int, job_id: int, locations: Sequence[str], listed_since: datetime
) -> None:
    """Levels a complete read of a location did not return: the item is no longer stocked there."""
    uow.session.execute(
        delete(PosStock).where(
            PosStock.integration_id == integration_id,
            PosStock.location_external_id.in_(locations),
            (PosStock.last_seen_job_id.is_(None)) | (PosStock.last_seen_job_id != job_id),
            PosStock.pos_updated_at < listed_since,
        )
    )


def mark_product_deleted(uow: UnitOfWork, integration_id: int, product_external_id: str, at: datetime) -> list[int]:
    result = uow.session.execute(
        update(PosItem)
        .where(
            PosItem.integration_id == integration_id,
            PosItem.product_external_id == product_external_id,
            PosItem.pos_updated_at <= at,
        )
        .values(deleted=True, pos_updated_at=at)
        .returning(PosItem.id)
    )
    return [row[0] for row in result]


def mark_dropped_variants_deleted(
    uow: UnitOfWork, integration_id: int, product_external_id: str, kept: Sequence[str], at: datetime
) -> None:
    """A product update lists all its variants: the ones it no longer lists were deleted."""
    uow.session.execute(
        update(PosItem)
        .where(
            PosItem.integration_id == integration_id,
            PosItem.product_external_id == product_external_id,
            PosItem.external_id.not_in(kept),
            PosItem.pos_updated_at <= at,
        )
        .values(deleted=True, pos_updated_at=at)
    )


def commit_without_flush_wait(uow: UnitOfWork) -> None:
    """PostgreSQL: this unit's COMMIT returns before its WAL reaches the disk (`synchronous_commit = off`).

    For a sync's page units, which carry their own checkpoint: a server crash can lose only the last few pages
    together with their checkpoint, so the job resumes from an earlier page, which it rewrites (the writes are
    idempotent). A 100k-SKU sync commits ~1,700 pages; each waited for a WAL flush. SQLite: nothing to do."""
    if uow.dialect.name == "postgresql":
        uow.session.execute(text("SET LOCAL synchronous_commit = off"))


STAGED_TABLES = (PosItem, PosStock)
BUILT_TABLES = (Product, InStoreOffer, RetailerItem)
# PostgreSQL: the columns a sync looks rows up by, per table it analyzes while it runs. The others (texts, image
# lists, the products' search vector) take most of a whole-table ANALYZE and no plan of the sync uses them: 300 ms
# against 40 ms for the products at 18k rows. A column list leaves the table's change counter alone
# (PostgreSQL resets it only for a whole-table ANALYZE), so autovacuum still analyzes every column after a big sync.
_PLANNED_COLUMNS: dict[type[Base], str] = {
    PosItem: "(id, integration_id, external_id, product_external_id, inventory_item_id, gtin)",
    Product: "(id, gtin)",
    InStoreOffer: "(id, organization_id, location_id, product_id, sku, pos_item_id)",
    RetailerItem: "(id, organization_id, location_id, sku, pos_item_id)",
}


def refresh_statistics(session: Session, staged: bool) -> None:
    """ANALYZE the staging tables (`staged`: full once materialization begins, they do not grow during it) or the
    tables a sync builds.

    A first sync grows them from nothing; with no column statistics PostgreSQL takes `x IN (200 ids)` to match
    the whole table and reads it all for every batch (quadratic: 156 full scans of the offers at 30k SKUs)."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    for model in STAGED_TABLES if staged else BUILT_TABLES:
        columns = _PLANNED_COLUMNS.get(model, "") if postgresql else ""
        session.execute(text(f"ANALYZE {model.__tablename__} {columns}"))


def offers_in_statistics(session: Session) -> int:
    """How many offers the planner's statistics know of: the table's size at its last ANALYZE (0 before any)."""
    if session.get_bind().dialect.name == "postgresql":
        query = "SELECT reltuples FROM pg_class WHERE oid = 'in_store_offers'::regclass"
    else:  # sqlite_stat1 exists once the database was analyzed; its first number is the table's row count
        if not session.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first():
            return 0
        query = "SELECT CAST(stat AS INTEGER) FROM sqlite_stat1 WHERE tbl = 'in_store_offers' LIMIT 1"
    known = session.execute(text(query)).scalar()
    return max(0, int(known or 0))


def barcode_less_items(session: Session, integration_id: int) -> int:
    """Live staged items without a valid barcode of their own (each a retailer item where it is stocked)."""
    query = select(func.count()).where(
        PosItem.integration_id == integration_id, PosItem.deleted.is_(False), PosItem.gtin.is_(None)
    )
    return int(session.scalar(query) or 0)


def item_ids_after(session: Session, integration_id: int, after_id: int, limit: int) -> list[int]:
    return list(
        session.scalars(
            select(PosItem.id)
            .where(PosItem.integration_id == integration_id, PosItem.id > after_id)
            .order_by(PosItem.id)
            .limit(limit)
        )
    )


def item_ids_where(session: Session, integration_id: int, **equal: str) -> list[int]:
    query = select(PosItem.id).where(PosItem.integration_id == integration_id)
    for name, value in equal.items():
        query = query.where(getattr(PosItem, name) == value)
    return list(session.scalars(query.order_by(PosItem.id)))


def items_by_id(session: Session, ids: Sequence[int]) -> list[PosItem]:
    return list(session.scalars(select(PosItem).where(_one_of(session, PosItem.id, ids)).order_by(PosItem.id)))


BUILT_FROM = (
    "id", "external_id", "inventory_item_id", "sku", "gtin", "matched_gtin", "name", "brand", "category",
    "description", "image_urls", "price_minor", "currency", "active", "deleted",
)  # fmt: skip


def locked_items(session: Session, ids: Sequence[int]) -> Sequence[Row[Any]]:
    """The staged fields offers are built from, as plain rows (ORM objects took a fifth of a batch's Python time),
    with PostgreSQL row locks (FOR NO KEY UPDATE, in id order) held to the end of the unit of work."""
    columns = [PosItem.__table__.c[name] for name in BUILT_FROM]
    query = select(*columns).where(_one_of(session, PosItem.id, ids)).order_by(PosItem.id)
    return session.execute(query.with_for_update(key_share=True)).all()


def mapped_locations(session: Session, integration_id: int) -> dict[str, int]:
    """POS location id → localshelf location pk, for mapped POS locations."""
    rows = session.execute(
        select(PosLocationLink.external_id, PosLocationLink.location_id).where(
            PosLocationLink.integration_id == integration_id, PosLocationLink.location_id.is_not(None)
        )
    )
    return {external_id: location_id for external_id, location_id in rows if location_id is not None}


def stock_for(
    session: Session, integration_id: int, inventory_item_ids: Sequence[str], locations: Sequence[str]
) -> Sequence[Row[str, str, int]]:
    """(inventory_item_id, location_external_id, quantity) rows: plain rows, no ORM objects to build."""
    if not inventory_item_ids or not locations:
        return []
    query = select(PosStock.inventory_item_id, PosStock.location_external_id, PosStock.quantity).where(
        PosStock.integration_id == integration_id, _one_of(session, PosStock.location_external_id, locations)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Joined to the unnested ids, not filtered by `= ANY`: PostgreSQL then probes uq_pos_stock once per item.
        # As a filter it chose a sequential scan of every staged level (10 ms a batch at 60k levels, 50 ms at
        # 300k: a fifth of a 100k-SKU sync), and as an IN (SELECT unnest) a hash join over the same scan.
        wanted = _unnested(PosStock.inventory_item_id, inventory_item_ids, "wanted")
        query = query.join(wanted, PosStock.inventory_item_id == wanted.c.value)
    else:
        query = query.where(PosStock.inventory_item_id.in_(list(inventory_item_ids)))
    return session.execute(query).all()


def product_ids_by_gtin(session: Session, gtins: Iterable[str]) -> dict[str, int]:
    wanted = sorted(set(gtins))
    if not wanted:
        return {}
    rows = session.execute(select(Product.gtin, Product.id).where(_one_of(session, Product.gtin, wanted))).all()
    return {row[0]: row[1] for row in rows}


def insert_search_terms(uow: UnitOfWork, terms: Sequence[str]) -> None:
    """Add the words the vocabulary lacks. PostgreSQL: one statement over the unnested words (a sync batch's few
    hundred words, most already known, were a statement each: 5 ms a batch); SQLite: one cached statement run for
    every word."""
    if not terms:
        return
    if uow.dialect.name != "postgresql":
        _executemany(uow, uow.dialect.insert_ignoring_duplicates(SearchTerm), [{"term": term} for term in terms])
        return
    words = _unnested(SearchTerm.term, terms, "words")
    statement = (
        postgresql.insert(SearchTerm)
        .from_select(["term"], select(words.c.value))
        .on_conflict_do_nothing(index_elements=[SearchTerm.term])
    )
    uow.session.execute(statement)


def insert_products(uow: UnitOfWork, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        _write_rows(uow, _ignoring_duplicates(uow.dialect.name, Product), rows)


@functools.cache
def _ignoring_duplicates(dialect_name: str, model: type[Product] | type[InStoreOffer]) -> Insert:
    return dialect_for(dialect_name).insert_ignoring_duplicates(model)


def offers_of_items(session: Session, pos_item_ids: Sequence[int]) -> list[InStoreOffer]:
    return list(session.scalars(select(InStoreOffer).where(_one_of(session, InStoreOffer.pos_item_id, pos_item_ids))))


def unowned_offers(session: Session, product_ids: Iterable[int], location_ids: Iterable[int]) -> list[InStoreOffer]:
    """Manual offers a sync may take over (same product, location and SKU as a POS item)."""
    products, locations = sorted(set(product_ids)), sorted(set(location_ids))
    if not products or not locations:
        return []
    return list(
        session.scalars(
            select(InStoreOffer).where(
                InStoreOffer.pos_item_id.is_(None),
                _one_of(session, InStoreOffer.product_id, products),
                _one_of(session, InStoreOffer.location_id, locations),
            )
        )
    )


def insert_offers(uow: UnitOfWork, rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert offers; a row clashing with an existing (product, location, SKU) is skipped. Returns rows added."""
    if not rows:
        return 0
    return _write_rows(uow, _ignoring_duplicates(uow.dialect.name, InStoreOffer), rows)


def update_offers(uow: UnitOfWork, rows: Sequence[Mapping[str, Any]]) -> None:
    """UPDATE by primary key, every row with the same columns: one statement from bound arrays on PostgreSQL,
    an executemany on SQLite."""
    if not rows:
        return
    if uow.dialect.name != "postgresql":
        uow.session.execute(update(InStoreOffer), list(rows))
        return
    columns = [InStoreOffer.__table__.c[name] for name in rows[0]]
    changed = bound_rows(columns).subquery("changed")
    statement = (
        update(InStoreOffer)
        .where(InStoreOffer.id == changed.c.id)
        .values({name: changed.c[name] for name in rows[0] if name != "id"})
        .execution_options(synchronize_session=False)
    )
    uow.session.execute(statement, bound_rows_parameter(columns, rows))


def touch_offers(session: Session, ids: Sequence[int], now: datetime) -> None:
    if ids:
        # Confirmed, not changed: `updated_at` is kept (set to itself, or its column's onupdate would stamp it too).
        statement = update(InStoreOffer).where(_one_of(session, InStoreOffer.id, ids))
        statement = statement.values(last_inventory_sync=now, updated_at=InStoreOffer.updated_at)
        # (the rows are not read again in this unit of work: no need for the ORM to fetch and sync them)
        session.execute(statement.execution_options(synchronize_session=False))


def delete_offers(session: Session, ids: Sequence[int]) -> None:
    if ids:
        session.execute(delete(InStoreOffer).where(_one_of(session, InStoreOffer.id, ids)))


def retailer_items_of(session: Session, pos_item_ids: Sequence[int]) -> list[RetailerItem]:
    return list(session.scalars(select(RetailerItem).where(_one_of(session, RetailerItem.pos_item_id, pos_item_ids))))


def upsert_retailer_items(uow: UnitOfWork, rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        return
    key = ("organization_id", "location_id", "sku")
    _write_rows(uow, _retailer_items_upsert(uow.dialect.name), rows, key=key)  # not one multi-row VALUES: no limit


@functools.cache
def _retailer_items_upsert(dialect_name: str) -> Insert:
    insert = dialect_for(dialect_name).insert(RetailerItem)
    fields = ("name", "price_minor", "currency", "quantity_on_hand", "pos_item_id")
    # A POS item without a matched GTIN must not unmatch a row a person matched (a manual item it took over).
    matched = func.coalesce(insert.excluded.matched_product_id, RetailerItem.matched_product_id)
    statement: Insert = insert.on_conflict_do_update(
        index_elements=[RetailerItem.organization_id, RetailerItem.location_id, RetailerItem.sku],
        set_={**{name: insert.excluded[name] for name in fields}, "matched_product_id": matched},
    )
    return statement


def delete_retailer_items(session: Session, ids: Sequence[int]) -> None:
    if ids:
        session.execute(delete(RetailerItem).where(_one_of(session, RetailerItem.id, ids)))
