"""The `localshelf` command: serve, db, demo."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from localshelf import __version__
from localshelf.config import Settings
from localshelf.domain.errors import LocalshelfError
from localshelf.store import migrate
from localshelf.store.db import Database


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="localshelf", description="Local inventory discovery over MCP.")
    parser.add_argument("--version", action="version", version=f"localshelf {__version__}")
    commands = parser.add_subparsers(dest="command")

    serve = commands.add_parser("serve", help="run the MCP server (stdio by default)")
    serve.add_argument("--transport", choices=["stdio", "http"], help="default: stdio (LOCALSHELF_TRANSPORT)")
    serve.add_argument("--host", help="HTTP bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="HTTP port (default 8765)")

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply pending migrations")
    db_commands.add_parser("current", help="show the schema revision")

    demo = commands.add_parser("demo", help="sample data")
    demo_commands = demo.add_subparsers(dest="demo_command", required=True)
    load = demo_commands.add_parser("load", help="load the Portland sample (stores, products, offers)")
    load.add_argument("--seed", type=int, default=None, help="dataset seed (default: the documented one)")
    return parser


def _database(settings: Settings) -> Database:
    database = Database.from_url(settings.database_url)
    database.prepare(settings.should_auto_migrate)
    return database


def _serve(settings: Settings, args: argparse.Namespace) -> None:
    from localshelf.server.transports import run

    overrides = {k: v for k, v in {"transport": args.transport, "host": args.host, "port": args.port}.items() if v}
    run(settings.model_copy(update=overrides))


def _demo_load(settings: Settings, seed: int | None) -> None:
    from localshelf.demo.dataset import DEFAULT_SEED
    from localshelf.demo.load import load_demo

    database = _database(settings)
    last: dict[str, int] = {}

    def progress(table: str, done: int, total: int) -> None:
        if last.get(table) != done:
            last[table] = done
            print(f"\r  {table}: {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)

    report = load_demo(database, datetime.now(UTC), seed if seed is not None else DEFAULT_SEED, progress)
    database.dispose()
    if report.already_loaded:
        print("The demo dataset is already loaded in this database.")
        return
    print(
        f"Loaded {report.organizations} organizations, {report.locations} locations, {report.products} products, "
        f"{report.offers} offers and {report.retailer_items} unmatched retailer items (Portland, Oregon)."
    )
    print("Try: search_local_products(query='cordless drill', latitude=45.5152, longitude=-122.6784, radius_km=10)")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    logging.basicConfig(level=settings.log_level, stream=sys.stderr)
    try:
        if args.command in (None, "serve"):
            if args.command is None:
                args = argparse.Namespace(transport=None, host=None, port=None)
            _serve(settings, args)
        elif args.command == "db":
            database = Database.from_url(settings.database_url)
            if args.db_command == "upgrade":
                migrate.upgrade(database.engine)
            print(
                f"schema revision: {migrate.current_revision(database.engine)} (head {migrate.head_revision(database.engine)})"
            )
            database.dispose()
        elif args.command == "demo":
            _demo_load(settings, args.seed)
    except LocalshelfError as exc:
        print(f"localshelf: {exc.code.value}: {exc.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
