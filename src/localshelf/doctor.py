"""`localshelf doctor`: check a deployment's settings and database, and say what to fix.

Every check gives one line, OK, WARN or FAIL, with a `fix:` hint when it is not OK; any FAIL makes the exit code 1.
Nothing secret is printed: the database URL without its password, settings by name only, never a key or a
client secret's value.
"""

from __future__ import annotations

import ipaddress
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, TextIO
from urllib.parse import urlsplit

from alembic.script import ScriptDirectory
from pydantic import ValidationError
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from localshelf.config import Settings
from localshelf.pos.crypto import DecryptionFailed, TokenCipher
from localshelf.pos.registry import CONNECTORS
from localshelf.services.pos_gateway import app_for
from localshelf.store import migrate

Status = Literal["OK", "WARN", "FAIL"]
POSTGRES_EXTENSIONS = ("postgis", "pg_trgm")
MIN_POSTGRES = 140000  # server_version_num of PostgreSQL 14
CONNECT_TIMEOUT_SECONDS = 5
TOKENS_SAMPLED = 20
# Settings beyond the client id and secret that a provider's webhooks need (app-wide receivers).
WEBHOOK_SETTINGS = {"square": "square_webhook_signature_key", "clover": "clover_webhook_auth_code"}


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str | None = None


def _env(setting: str) -> str:
    return f"LOCALSHELF_{setting.upper()}"


def _is_loopback(host: str | None) -> bool:
    if not host or host == "localhost":
        return host == "localhost"
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# Database


def _parsed_url(settings: Settings) -> URL | Check:
    try:
        url = make_url(settings.database_url)
    except (ArgumentError, ValueError):
        return Check("database url", "FAIL", "LOCALSHELF_DATABASE_URL is not a database URL", _URL_FIX)
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        return Check("database url", "FAIL", f"unsupported backend {url.get_backend_name()!r}", _URL_FIX)
    return url


_URL_FIX = "set LOCALSHELF_DATABASE_URL to sqlite:///path/to/localshelf.db or postgresql+psycopg://user@host/db"


def _sqlite_features() -> Check:
    """The SQLite library this Python links (the one the server uses): version, FTS5 and JSON functions."""
    connection = sqlite3.connect(":memory:")
    missing = []
    for feature, probe in (
        ("FTS5", "CREATE VIRTUAL TABLE temp.probe USING fts5(body)"),
        ("JSON1", "SELECT json('{}')"),
    ):
        try:
            connection.execute(probe)
        except sqlite3.OperationalError:
            missing.append(feature)
    connection.close()
    if missing:
        fix = "use a Python whose SQLite has FTS5 and JSON1 (python.org builds and most distributions do)"
        return Check("sqlite", "FAIL", f"SQLite {sqlite3.sqlite_version} lacks {', '.join(missing)}", fix)
    return Check("sqlite", "OK", f"SQLite {sqlite3.sqlite_version} with FTS5 and JSON1")


def _postgres_server(connection: Connection) -> Iterator[Check]:
    version_num = int(connection.execute(text("SHOW server_version_num")).scalar_one())
    version = connection.execute(text("SHOW server_version")).scalar_one()
    if version_num < MIN_POSTGRES:
        yield Check(
            "postgresql", "WARN", f"PostgreSQL {version}", "PostgreSQL 14 or newer is what localshelf is tested on"
        )
    else:
        yield Check("postgresql", "OK", f"PostgreSQL {version}")
    rows = connection.execute(text("SELECT extname, extversion FROM pg_extension"))
    installed: dict[str, str] = {str(name): str(version) for name, version in rows}
    available = set(connection.scalars(text("SELECT name FROM pg_available_extensions")))
    for extension in POSTGRES_EXTENSIONS:
        if extension in installed:
            yield Check(extension, "OK", f"{extension} {installed[extension]}")
        elif extension in available:
            fix = f"`localshelf db upgrade` creates it (as a role allowed to CREATE EXTENSION {extension})"
            yield Check(extension, "WARN", f"{extension} is available but not created in this database", fix)
        else:
            fix = f"install {extension} on the database server (e.g. the postgis/postgis image, postgresql-contrib)"
            yield Check(extension, "FAIL", f"{extension} is not installed on the database server", fix)


def _migrations(connection: Connection, settings: Settings) -> Check:
    from alembic.runtime.migration import MigrationContext

    scripts = ScriptDirectory(str(migrate.MIGRATIONS_DIR))
    head = scripts.get_current_head()
    current = MigrationContext.configure(connection).get_current_revision()
    if current == head:
        return Check("migrations", "OK", f"schema at head ({head})")
    if current is not None and current not in {script.revision for script in scripts.walk_revisions()}:
        fix = "this database was migrated by a newer localshelf: upgrade localshelf"
        return Check("migrations", "FAIL", f"schema at unknown revision {current} (head {head})", fix)
    detail = f"schema at {current or 'nothing (empty database)'}, head {head}"
    if settings.should_auto_migrate:
        return Check("migrations", "WARN", detail, "pending migrations are applied when the server starts")
    return Check("migrations", "FAIL", detail, "run `localshelf db upgrade`")


def _stored_tokens(connection: Connection, settings: Settings) -> Check | None:
    """Do the configured keys decrypt the stored POS tokens? (a key dropped too early leaves them unreadable)"""
    tokens = list(
        connection.scalars(
            text("SELECT access_token_encrypted FROM integrations WHERE access_token_encrypted IS NOT NULL LIMIT :n"),
            {"n": TOKENS_SAMPLED},
        )
    )
    if not tokens or not settings.encryption_keys:
        return None
    try:
        cipher = TokenCipher.from_setting(settings.encryption_keys)
    except ValueError:
        return None  # reported by the key check
    unreadable = 0
    for token in tokens:
        try:
            cipher.decrypt(token)
        except DecryptionFailed:
            unreadable += 1
    if unreadable:
        fix = (
            "put the key these tokens were encrypted with back into LOCALSHELF_ENCRYPTION_KEYS (after the current one)"
        )
        return Check("stored tokens", "FAIL", f"{unreadable} of {len(tokens)} sampled POS tokens do not decrypt", fix)
    return Check("stored tokens", "OK", f"{len(tokens)} sampled POS tokens decrypt")


def _engine(url: URL) -> Engine:
    if url.get_backend_name() == "sqlite":
        return create_engine(url)
    return create_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})


def database_checks(settings: Settings) -> Iterator[Check]:
    url = _parsed_url(settings)
    if isinstance(url, Check):
        yield url
        return
    shown = url.render_as_string(hide_password=True)
    yield Check("database url", "OK", shown)
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite:
        yield _sqlite_features()
        if url.database not in (None, "", ":memory:") and not Path(url.database).expanduser().exists():
            fix = "`localshelf serve` or `localshelf db upgrade` creates it; check the path if you expected data"
            yield Check("database", "WARN", f"{url.database} does not exist yet", fix)
            return
    try:
        engine = _engine(url)
    except ImportError as exc:
        fix = "use the postgresql+psycopg:// driver (installed with localshelf)"
        yield Check("database", "FAIL", f"no database driver for {url.drivername}: {exc.name}", fix)
        return
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            yield Check("database", "OK", "connected")
            if not sqlite:
                yield from _postgres_server(connection)
            migrations = _migrations(connection, settings)
            yield migrations
            if migrations.status == "OK":
                tokens = _stored_tokens(connection, settings)
                if tokens is not None:
                    yield tokens
    except SQLAlchemyError as exc:
        reason = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or ["error"])[0]
        fix = "check the host, port, database name and credentials in LOCALSHELF_DATABASE_URL, and that it runs"
        yield Check("database", "FAIL", f"cannot connect to {shown}: {reason}", fix)
    finally:
        engine.dispose()


# Secrets and providers


def _configured_providers(settings: Settings) -> list[str]:
    return [provider for provider in CONNECTORS if app_for(settings, provider) is not None]


def encryption_check(settings: Settings) -> Check:
    providers = _configured_providers(settings)
    generate = (
        "generate one with `python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`"
    )
    if not settings.encryption_keys:
        if providers:
            return Check(
                "encryption key",
                "FAIL",
                f"LOCALSHELF_ENCRYPTION_KEYS is not set; POS connect ({', '.join(providers)}) refuses to start without it",
                f"set LOCALSHELF_ENCRYPTION_KEYS; {generate}",
            )
        return Check(
            "encryption key", "WARN", "LOCALSHELF_ENCRYPTION_KEYS is not set (needed for POS connect)", generate
        )
    try:
        cipher = TokenCipher.from_setting(settings.encryption_keys)
    except ValueError as exc:  # the message names the bad key's position, never its value
        return Check("encryption key", "FAIL", str(exc), f"each key must be a Fernet key; {generate}")
    cipher.decrypt(cipher.encrypt("localshelf doctor"))
    count = len([part for part in settings.encryption_keys.split(",") if part.strip()])
    return Check("encryption key", "OK", f"{count} valid Fernet key(s)")


def provider_checks(settings: Settings) -> Iterator[Check]:
    for provider in CONNECTORS:
        needed = [f"{provider}_client_id", f"{provider}_client_secret"]
        missing = [_env(name) for name in needed if not getattr(settings, name, None)]
        webhook = WEBHOOK_SETTINGS.get(provider)
        if len(missing) == len(needed):
            yield Check(provider, "OK", f"not configured (optional: set {' and '.join(map(_env, needed))})")
        elif missing:
            yield Check(
                provider, "FAIL", f"incomplete credentials: {', '.join(missing)} missing", f"set {', '.join(missing)}"
            )
        elif webhook and not getattr(settings, webhook):
            detail = f"credentials complete, but {_env(webhook)} is not set: its webhooks are refused (401)"
            yield Check(provider, "WARN", detail, f"set {_env(webhook)} from the provider's webhook settings")
        else:
            yield Check(provider, "OK", "credentials complete")
    if not _configured_providers(settings):
        fix = "configure a provider to let retailers connect their POS (manual offers work without one)"
        yield Check("providers", "WARN", "no POS provider is configured", fix)


# Public URL


def public_url_checks(settings: Settings) -> Iterator[Check]:
    parts = urlsplit(settings.public_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        yield Check("public url", "FAIL", f"{settings.public_url!r} is not an http(s) URL", _PUBLIC_FIX)
        return
    loopback = _is_loopback(parts.hostname)
    if parts.scheme == "http" and not loopback:
        yield Check("public url", "WARN", f"{settings.public_url} is plain http", _PUBLIC_FIX)
    elif loopback and not _is_loopback(settings.host):
        detail = f"{settings.public_url} is a loopback URL but the server binds {settings.host}"
        yield Check("public url", "WARN", detail, _PUBLIC_FIX)
    else:
        yield Check("public url", "OK", settings.public_url)
    base = settings.web_base_url
    providers = _configured_providers(settings) or list(CONNECTORS)
    callbacks = ", ".join(f"{base}/integrations/{provider}/callback" for provider in providers)
    yield Check("callback urls", "OK", f"register at the providers: {callbacks}")
    yield Check(
        "webhook urls",
        "OK",
        f"{base}/webhooks/square, {base}/webhooks/clover (Shopify, Lightspeed: subscribed per shop)",
    )
    if settings.metrics_enabled and not _is_loopback(settings.host):
        fix = "set LOCALSHELF_METRICS=false, or keep /metrics off the public network (proxy rule, firewall)"
        yield Check("metrics", "WARN", f"/metrics is served without authentication on {settings.host}", fix)


_PUBLIC_FIX = "set LOCALSHELF_PUBLIC_URL to the https URL clients reach /mcp at (e.g. https://shelf.example.com/mcp)"


def oauth_checks(settings: Settings) -> Iterator[Check]:
    if settings.oauth_issuer and not (settings.oauth_jwks_url or settings.oauth_jwks_file):
        yield Check("oauth", "FAIL", "LOCALSHELF_OAUTH_ISSUER is set without a JWKS", "set LOCALSHELF_OAUTH_JWKS_URL")
    elif settings.oauth_jwks_file and not Path(settings.oauth_jwks_file).is_file():
        yield Check(
            "oauth", "FAIL", f"JWKS file {settings.oauth_jwks_file} not found", "fix LOCALSHELF_OAUTH_JWKS_FILE"
        )


CHECKS: tuple[Callable[[Settings], Iterator[Check]], ...] = (
    database_checks,
    lambda settings: iter([encryption_check(settings)]),
    provider_checks,
    public_url_checks,
    oauth_checks,
)


def diagnose(settings: Settings) -> list[Check]:
    return [check for group in CHECKS for check in group(settings)]


def run(out: TextIO, as_json: bool) -> int:
    """Read the settings as the server would, check them; the exit code (1: something must be fixed)."""
    try:
        settings = Settings()
    except ValidationError as exc:
        fields = ", ".join(_env(str(error["loc"][0])) for error in exc.errors() if error["loc"])
        fix = "correct the value (see `localshelf serve --help` and the README's settings table)"
        return report([Check("settings", "FAIL", f"invalid setting(s): {fields or exc.title}", fix)], out, as_json)
    return report(diagnose(settings), out, as_json)


def report(checks: list[Check], out: TextIO, as_json: bool) -> int:
    """Print the checks; the exit code: 1 if any failed."""
    failed = any(check.status == "FAIL" for check in checks)
    if as_json:
        json.dump({"ok": not failed, "checks": [asdict(check) for check in checks]}, out, indent=2)
        out.write("\n")
    else:
        for check in checks:
            out.write(f"{check.status:<4}  {check.name}: {check.detail}\n")
            if check.fix:
                out.write(f"      fix: {check.fix}\n")
    return 1 if failed else 0
