"""A slow or unreachable PostgreSQL catalog fails the shared limit checks quickly: connections
give up after a default connect timeout, limit statements after a short statement timeout, and
after a failed attempt the checks fail at once for a moment instead of each trying again."""

from __future__ import annotations

import logging
import time

import psycopg
import pytest

from core.catalog.engine import CONNECT_TIMEOUT_S, PostgresCatalog
from core.catalog.reconnect import CatalogUnavailable
from core.catalog.shared_limits import CONNECT_TIMEOUT_S as LIMITS_CONNECT_TIMEOUT_S
from core.catalog.shared_limits import RETRY_AFTER_S, STATEMENT_TIMEOUT_MS, SharedLimits
from tests.loopback import free_port

on_postgresql = pytest.mark.parametrize("catalog_engine", ["postgresql"], indirect=True)


@on_postgresql
def test_a_catalog_connection_has_a_connect_timeout_unless_the_url_sets_one(settings):
    url = str(settings.storage.catalog_path)
    default = PostgresCatalog(url)
    chosen = PostgresCatalog(f"{url}{'&' if '?' in url else '?'}connect_timeout=2")
    try:
        assert default.pg.info.get_parameters()["connect_timeout"] == str(CONNECT_TIMEOUT_S)
        assert chosen.pg.info.get_parameters()["connect_timeout"] == "2"
    finally:
        default.close()
        chosen.close()


@on_postgresql
def test_limit_statements_run_under_a_short_statement_timeout(settings):
    limits = SharedLimits(str(settings.storage.catalog_path))
    try:
        with limits.using() as db:
            (shown,) = db.pg.execute("SHOW statement_timeout").fetchone() or ("",)
            assert db.pg.info.get_parameters()["connect_timeout"] == str(LIMITS_CONNECT_TIMEOUT_S)
            with pytest.raises(psycopg.errors.QueryCanceled):
                db.pg.execute("SELECT pg_sleep(%s)", [STATEMENT_TIMEOUT_MS / 1000 + 1])
        # The connection survives a cancelled statement and answers the next one.
        with limits.using() as db:
            assert db.pg.execute("SELECT 1").fetchone() == (1,)
    finally:
        limits.close()
    assert shown == f"{STATEMENT_TIMEOUT_MS // 1000}s"


def test_an_unreachable_catalog_fails_checks_at_once_and_is_logged_once(caplog):
    limits = SharedLimits(f"postgresql://alarmvault@127.0.0.1:{free_port()}/catalog")
    with caplog.at_level(logging.INFO, logger="core.catalog.reconnect"):
        with pytest.raises(psycopg.OperationalError), limits.using():
            pass
        started = time.monotonic()
        for _ in range(20):
            with pytest.raises(CatalogUnavailable), limits.using():
                pass
        assert time.monotonic() - started < RETRY_AFTER_S
    limits.close()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith("shared limits: the catalog cannot be asked: ")
