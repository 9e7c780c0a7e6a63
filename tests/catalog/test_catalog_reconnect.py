"""Long-lived catalog connections come back by themselves (`core.catalog.reconnect`), and a
session left idle inside a write transaction (its node stopped or hung mid-write) is ended by
the server after ``[storage] catalog_idle_in_transaction_s``, freeing the writer lock."""

from __future__ import annotations

import logging
import threading
import time
from itertools import pairwise

import psycopg
import pytest

from core.catalog import Dialect, open_catalog
from core.catalog.engine import close_catalog_pools, connection_lost
from core.catalog.reconnect import (
    RETRY_FIRST_S,
    CatalogUnavailable,
    OutageLog,
    ReconnectingCatalog,
    reconnecting_catalog,
)
from tests.loopback import free_port

on_postgresql = pytest.mark.parametrize(
    "catalog_engine", [Dialect.POSTGRESQL], indirect=True, ids=str
)


@on_postgresql
def test_a_session_idle_inside_a_write_transaction_is_ended_and_the_writer_lock_freed(
    settings, catalog
):
    settings.storage.catalog_idle_in_transaction_s = 1
    url = settings.storage.catalog_path
    stopped_node = reconnecting_catalog(url, "stopped node")
    db = stopped_node.connection()
    # What the pool does between two users: the timeout is the session's own default.
    db.execute("RESET ALL")
    writing = db.atomic()
    writing.__enter__()  # the node holds the writer lock, then stops (SIGSTOP, a hung host)
    db.execute("UPDATE users SET email = email")

    other_node = open_catalog(url, migrate=False, pool_size=2)
    try:
        (shown,) = other_node.execute("SHOW idle_in_transaction_session_timeout").fetchone()
        # Without the server's timeout this write would wait for the stopped node for ever.
        other_node.execute("SET statement_timeout = '10s'")
        started = time.monotonic()
        with other_node.atomic():
            other_node.execute("UPDATE users SET email = email")
        waited_s = time.monotonic() - started
    finally:
        other_node.close()
        close_catalog_pools()
    assert shown == "1s"
    assert waited_s < 5

    # The node resumes: its transaction and its session are gone, nothing it wrote is kept;
    # its connection counts as lost, and the next use connects again.
    with pytest.raises(psycopg.Error) as ended:
        writing.__exit__(None, None, None)
    assert connection_lost(db)
    assert stopped_node.lost(ended.value)
    try:
        assert stopped_node.connection().execute("SELECT 1").fetchone() == (1,)
    finally:
        stopped_node.close()


def test_an_unreachable_catalog_is_tried_after_a_growing_pause_and_told_once(caplog):
    url = f"postgresql://alarmvault@127.0.0.1:{free_port()}/catalog"
    attempts: list[float] = []

    def connect():
        attempts.append(time.monotonic())
        return open_catalog(url, migrate=False)

    catalog = ReconnectingCatalog(connect, OutageLog("a test"))
    with caplog.at_level(logging.INFO, logger="core.catalog.reconnect"):
        with pytest.raises(CatalogUnavailable):
            catalog.connection()
        with pytest.raises(CatalogUnavailable):  # at once, without an attempt
            catalog.connection()
        assert len(attempts) == 1
        stop = threading.Event()
        timer = threading.Timer(2.5, stop.set)
        timer.start()
        assert catalog.wait(stop) is None  # waits out the pauses until stopped
        timer.cancel()
    pauses = [later - earlier for earlier, later in pairwise(attempts)]
    assert 2 <= len(pauses) <= 3, pauses
    assert pauses[0] >= RETRY_FIRST_S and pauses[1] >= 2 * RETRY_FIRST_S, pauses
    told = [(r.levelno, r.getMessage()) for r in caplog.records if r.levelno >= logging.INFO]
    assert len(told) == 1 and told[0][0] == logging.WARNING
    assert told[0][1].startswith("a test: the catalog cannot be asked: ")
