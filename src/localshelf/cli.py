"""The `localshelf` command: serve, db, demo."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TextIO

from localshelf import __version__
from localshelf.config import Settings
from localshelf.domain.auth import ALL_SCOPES, Role
from localshelf.domain.errors import LocalshelfError
from localshelf.server.logs import configure_logging
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

    orgs = commands.add_parser("orgs", help="organizations (as the local operator)")
    orgs_commands = orgs.add_subparsers(dest="orgs_command", required=True)
    create_org = orgs_commands.add_parser("create", help="create an organization and print its id")
    create_org.add_argument("name")
    create_org.add_argument("--kind", choices=["retailer", "brand"], default="retailer")

    keys = commands.add_parser("keys", help="API keys (as the local operator)")
    keys_commands = keys.add_subparsers(dest="keys_command", required=True)
    create_key = keys_commands.add_parser("create", help="create a key; it is printed once")
    create_key.add_argument("--organization", required=True, help="organization id (org_...)")
    create_key.add_argument("--role", choices=[r.value for r in Role], required=True)
    create_key.add_argument("--scopes", default="", help=f"comma-separated, from: {', '.join(sorted(ALL_SCOPES))}")
    create_key.add_argument("--name", default="cli", help="what the key is for")
    create_key.add_argument("--expires-in-days", type=int, default=None)
    list_keys = keys_commands.add_parser("list", help="list an organization's keys")
    list_keys.add_argument("--organization", required=True)
    revoke_key = keys_commands.add_parser("revoke", help="revoke a key by id (key_...)")
    revoke_key.add_argument("key_id")

    members = commands.add_parser("members", help="people's roles (as the local operator)")
    members_commands = members.add_subparsers(dest="members_command", required=True)
    add_member = members_commands.add_parser("add", help="give an OAuth subject a role in an organization")
    add_member.add_argument("--organization", required=True)
    add_member.add_argument("--subject", required=True, help="the person's OAuth `sub`")
    add_member.add_argument("--role", choices=[r.value for r in Role], required=True)

    doctor = commands.add_parser("doctor", help="check settings, database and credentials; say what to fix")
    doctor.add_argument("--json", action="store_true", help="print the checks as JSON")

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


def progress_printer(stream: TextIO, width: int = 30) -> Callable[[str, int, int], None]:
    """Per-table progress: a bar redrawn in place on a terminal, one plain line per report otherwise (logs, CI)."""
    last: dict[str, int] = {}
    tty = stream.isatty()

    def progress(table: str, done: int, total: int) -> None:
        if last.get(table) == done:
            return
        last[table] = done
        if not tty:
            print(f"  {table}: {done}/{total}", file=stream, flush=True)
            return
        filled = width * done // total if total else width
        bar = "#" * filled + "." * (width - filled)
        end = "" if done < total else "\n"
        print(f"\r  {table:<20} [{bar}] {done}/{total}", end=end, file=stream, flush=True)

    return progress


def _demo_load(settings: Settings, seed: int | None) -> None:
    from localshelf.demo.dataset import DEFAULT_SEED
    from localshelf.demo.load import load_demo

    database = _database(settings)
    progress = progress_printer(sys.stderr)
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


def _admin(settings: Settings, args: argparse.Namespace) -> None:
    """Operator commands: the same services the tools call, acting as the local operator."""
    from localshelf.services import keys, members, organizations

    database = _database(settings)
    now = datetime.now(UTC)
    try:
        if args.command == "orgs":
            created = database.transaction(organizations.create_organization, args.name, args.kind, None)
            print(created.id)
        elif args.command == "members":
            member = database.transaction(members.add_member, args.organization, args.subject, Role(args.role))
            print(f"{member.subject} is {member.role.value} of {member.organization_id}")
        elif args.keys_command == "create":
            scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]
            key = database.transaction(
                keys.create_api_key, args.organization, Role(args.role), scopes, args.name, args.expires_in_days, now
            )
            print(key.key)
            print(f"(id {key.id}, prefix {key.prefix}; shown once — store it now)", file=sys.stderr)
        elif args.keys_command == "list":
            for view in database.transaction(keys.list_api_keys, args.organization, read_only=True).keys:
                state = "revoked" if view.revoked_at else "active"
                print(f"{view.id}  {view.prefix}  {view.role.value:<8} {state:<8} {','.join(view.scopes)}  {view.name}")
        elif args.keys_command == "revoke":
            revoked = database.transaction(keys.revoke_api_key, args.key_id, now)
            print(f"revoked {revoked.id} ({revoked.prefix})")
    finally:
        database.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "doctor":  # before reading the settings: invalid ones are among what it reports
        from localshelf import doctor

        return doctor.run(sys.stdout, args.json)
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
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
        elif args.command in ("orgs", "keys", "members"):
            _admin(settings, args)
        elif args.command == "demo":
            _demo_load(settings, args.seed)
    except LocalshelfError as exc:
        print(f"localshelf: {exc.code.value}: {exc.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
