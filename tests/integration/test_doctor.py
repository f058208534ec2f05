"""`localshelf doctor` on real databases and real misconfigurations: what it reports OK, WARN and FAIL, the fix
it suggests, its exit code, its JSON, and that no secret value ever reaches its output."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from localshelf.cli import main
from localshelf.config import Settings
from localshelf.doctor import Check, diagnose, report
from localshelf.pos.crypto import TokenCipher
from localshelf.store.db import Database, UnitOfWork
from localshelf.store.models import Integration
from tests.builders import operator_organization
from tests.integration.test_health_metrics import bare_postgres_url as bare_postgres_url  # fixtures
from tests.integration.test_health_metrics import unmigrated_database as unmigrated_database
from tests.integration.test_transports import _free_port
from tests.tools.test_readiness import add_integration

KEY = Fernet.generate_key().decode()
CLIENT_SECRET = "shpss_doctor_secret_value"


def url_of(database: Database) -> str:
    return database.engine.url.render_as_string(hide_password=False)


def settings_for(database: Database, **overrides: Any) -> Settings:
    fields: dict[str, Any] = {
        "database_url": url_of(database),
        "auto_migrate": False,
        "encryption_keys": KEY,
        "shopify_client_id": "doctor-app",
        "shopify_client_secret": CLIENT_SECRET,
        "public_url": "https://shelf.example.com/mcp",
        **overrides,
    }
    return Settings(**fields)


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def statuses(checks: list[Check]) -> dict[str, str]:
    return {check.name: check.status for check in checks}


def printed(checks: list[Check], as_json: bool = False) -> tuple[int, str]:
    out = io.StringIO()
    return report(checks, out, as_json), out.getvalue()


def test_a_healthy_deployment_is_all_ok_and_names_versions_and_callback_urls(database: Database) -> None:
    checks = diagnose(settings_for(database))
    found = by_name(checks)
    assert found["database"].status == "OK" and found["migrations"].status == "OK"
    if database.dialect == "postgresql":
        assert found["postgresql"].detail.startswith("PostgreSQL ")
        assert found["postgis"].status == found["pg_trgm"].status == "OK"
    else:
        assert "FTS5 and JSON1" in found["sqlite"].detail
    assert found["encryption key"].status == "OK" and found["shopify"].detail == "credentials complete"
    assert "https://shelf.example.com/integrations/shopify/callback" in found["callback urls"].detail
    assert not [check for check in checks if check.status == "FAIL"]
    code, text = printed(checks)
    assert code == 0 and "OK    database: connected" in text


def test_a_missing_or_malformed_key_fails_without_showing_any_key(database: Database) -> None:
    missing = by_name(diagnose(settings_for(database, encryption_keys=None)))["encryption key"]
    assert missing.status == "FAIL" and "LOCALSHELF_ENCRYPTION_KEYS" in (missing.fix or "")
    other = Fernet.generate_key().decode()
    malformed = by_name(diagnose(settings_for(database, encryption_keys=f"{other},not-a-fernet-key")))
    assert malformed["encryption key"].status == "FAIL" and "key #2" in malformed["encryption key"].detail
    code, text = printed(list(malformed.values()), as_json=True)
    assert code == 1 and other not in text and "not-a-fernet-key" not in text and CLIENT_SECRET not in text
    assert json.loads(text)["ok"] is False
    nothing_to_protect = diagnose(settings_for(database, encryption_keys=None, shopify_client_secret=None))
    assert statuses(nothing_to_protect)["encryption key"] == "WARN"  # no provider: nothing to encrypt yet


def test_an_unmigrated_database_fails_with_the_upgrade_command(unmigrated_database: Database) -> None:
    found = by_name(diagnose(settings_for(unmigrated_database)))
    assert found["database"].status == "OK"
    assert found["migrations"].status == "FAIL" and found["migrations"].fix == "run `localshelf db upgrade`"
    assert "empty database" in found["migrations"].detail
    if unmigrated_database.dialect == "postgresql":  # a database without the extensions: created by the upgrade
        assert found["postgis"].status == found["pg_trgm"].status == "WARN"
        assert "localshelf db upgrade" in (found["postgis"].fix or "")
    auto = by_name(diagnose(settings_for(unmigrated_database, auto_migrate=True)))["migrations"]
    assert auto.status == "WARN"  # the embedded store's default: applied at start-up


def test_an_unreachable_database_fails_and_hides_its_password() -> None:
    url = f"postgresql+psycopg://shelf:pa55-hidden@127.0.0.1:{_free_port()}/localshelf"
    checks = diagnose(Settings(database_url=url, encryption_keys=KEY))
    found = by_name(checks)
    assert found["database"].status == "FAIL" and "cannot connect" in found["database"].detail
    code, text = printed(checks)
    assert code == 1 and "pa55-hidden" not in text and "***" in text


def test_a_sqlite_file_not_created_yet_is_a_warning_and_doctor_does_not_create_it(tmp_path: Path) -> None:
    path = tmp_path / "data" / "localshelf.db"
    found = by_name(diagnose(Settings(database_url=f"sqlite:///{path}", encryption_keys=KEY)))
    assert found["database"].status == "WARN" and "does not exist yet" in found["database"].detail
    assert "migrations" not in found and not path.parent.exists()


def test_providers_with_incomplete_credentials_or_webhook_settings_are_named(database: Database) -> None:
    found = by_name(
        diagnose(
            settings_for(
                database, lightspeed_client_id="ls-app", square_client_id="sq-app", square_client_secret="sq-secret"
            )
        )
    )
    assert found["lightspeed"].status == "FAIL" and "LOCALSHELF_LIGHTSPEED_CLIENT_SECRET" in found["lightspeed"].detail
    assert found["square"].status == "WARN" and "LOCALSHELF_SQUARE_WEBHOOK_SIGNATURE_KEY" in found["square"].detail
    assert found["clover"].status == "OK" and found["clover"].detail.startswith("not configured")


def test_public_url_plain_http_warns_except_on_loopback(database: Database) -> None:
    public = by_name(diagnose(settings_for(database, public_url="http://shelf.example.com/mcp", host="0.0.0.0")))
    assert public["public url"].status == "WARN" and "https" in (public["public url"].fix or "")
    assert "metrics" not in public  # served by default on loopback binds only
    exposed = by_name(diagnose(settings_for(database, host="0.0.0.0", metrics=True)))
    assert exposed["metrics"].status == "WARN" and "LOCALSHELF_METRICS=false" in (exposed["metrics"].fix or "")
    local = by_name(diagnose(settings_for(database, public_url="http://127.0.0.1:8765/mcp")))
    assert local["public url"].status == "OK" and "metrics" not in local
    stale = by_name(diagnose(settings_for(database, public_url="http://127.0.0.1:8765/mcp", host="0.0.0.0")))
    assert stale["public url"].status == "WARN" and "binds 0.0.0.0" in stale["public url"].detail


def _store_token(uow: UnitOfWork, integration_id: str, token: str) -> None:
    integration = uow.session.query(Integration).filter_by(public_id=integration_id).one()
    integration.access_token_encrypted = token


def test_stored_tokens_that_the_configured_keys_cannot_decrypt_fail(database: Database) -> None:
    organization = operator_organization(database)
    integration = add_integration(database, organization, "connected")
    dropped_key = Fernet.generate_key().decode()
    database.transaction(_store_token, integration, TokenCipher([dropped_key]).encrypt("shpat_stored"))
    found = by_name(diagnose(settings_for(database)))
    assert found["stored tokens"].status == "FAIL" and found["stored tokens"].detail.startswith("1 of 1")
    rotated = by_name(diagnose(settings_for(database, encryption_keys=f"{KEY},{dropped_key}")))
    assert rotated["stored tokens"].status == "OK"


def test_the_command_exits_1_on_a_failure_and_prints_json(
    sqlite_database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`localshelf doctor` through the CLI's entry point (in process: the same argv, environment and stdout)."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("LOCALSHELF_DATABASE_URL", url_of(sqlite_database))
    monkeypatch.setenv("LOCALSHELF_ENCRYPTION_KEYS", KEY)
    assert main(["doctor", "--json"]) == 0
    healthy = capsys.readouterr().out
    body = json.loads(healthy)
    assert body["ok"] is True
    assert {c["name"]: c["status"] for c in body["checks"]}["migrations"] == "OK"
    monkeypatch.setenv("LOCALSHELF_PORT", "not-a-port")
    assert main(["doctor"]) == 1
    broken = capsys.readouterr().out
    assert "FAIL  settings: invalid setting(s): LOCALSHELF_PORT" in broken
    assert KEY not in healthy + broken
