"""The PostgreSQL catalog's connection pool: short uses (a web request, a scheduled job)
borrow a connection from their process's pool and give it back clean.

Every test runs on a real PostgreSQL server; the restart test on a server of its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from core.catalog import Dialect, cluster_lock, open_catalog
from core.catalog.engine import PostgresCatalog, close_catalog_pools
from tests.postgres import PostgresServer, server_of_its_own

on_postgresql = pytest.mark.parametrize(
    "catalog_engine", [Dialect.POSTGRESQL], indirect=True, ids=str
)

POOL = 2


@pytest.fixture
def url(catalog, settings) -> str:
    return str(settings.storage.catalog_path)


def _borrow(url: str) -> PostgresCatalog:
    db = open_catalog(url, migrate=False, pool_size=POOL)
    assert isinstance(db, PostgresCatalog)
    return db


def _backends(catalog) -> set[int]:
    """The server processes connected to the test's database, besides ``catalog``'s own."""
    return {
        pid
        for (pid,) in catalog.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = ? AND pid != pg_backend_pid()",
            [catalog.pg.info.dbname],
        )
    }


def _state_once_given_back(catalog, pid: int) -> str:
    """The backend's state once the pool took its connection back (the pool resets it in a
    worker thread, before lending it again): "idle" unless something was left open."""
    deadline = time.monotonic() + 10
    while True:
        (state,) = catalog.execute(
            "SELECT state FROM pg_stat_activity WHERE pid = ?", [pid]
        ).fetchone()
        (left_locked,) = catalog.execute(
            "SELECT count(*) FROM pg_locks WHERE pid = ? AND locktype = 'advisory'", [pid]
        ).fetchone()
        if (state == "idle" and not left_locked) or time.monotonic() > deadline:
            return f"{state}, {left_locked} advisory locks"
        time.sleep(0.02)


@on_postgresql
def test_short_uses_one_after_another_start_no_new_backend(catalog, url):
    for db in [_borrow(url) for _ in range(POOL)]:  # the pool at its size
        db.close()
    before = _backends(catalog)
    used = set()
    for _ in range(20):
        db = _borrow(url)
        used.add(db.execute("SELECT pg_backend_pid()").fetchone()[0])
        db.close()
    assert used <= before and len(before) <= POOL
    assert _backends(catalog) == before


@on_postgresql
def test_a_connection_comes_back_without_the_transaction_or_locks_its_user_left(catalog, url):
    first = _borrow(url)
    pid = first.pg.info.backend_pid
    first.execute("BEGIN")
    first.execute("UPDATE users SET email = email")  # row locks, a transaction left open
    first.execute("SELECT pg_advisory_lock(42)")  # a session lock it never released
    first.execute("SELECT pg_advisory_xact_lock(43)")
    first.close()

    assert _state_once_given_back(catalog, pid) == "idle, 0 advisory locks"
    for _ in range(POOL):  # whichever connection the next users get
        db = _borrow(url)
        assert not db.in_transaction
        db.close()
    # Another node's scheduler gets the lock the first user left behind.
    with cluster_lock(catalog, "scheduled:retention") as ours:
        assert ours


@on_postgresql
def test_a_cluster_lock_is_not_carried_to_the_next_user_of_the_connection(catalog, url):
    first = _borrow(url)
    lock = cluster_lock(first, "scheduled:upkeep")
    assert lock.__enter__()  # held, and its user gives the connection back without leaving it
    first.close()
    assert _state_once_given_back(catalog, first.pg.info.backend_pid) == "idle, 0 advisory locks"
    with cluster_lock(catalog, "scheduled:upkeep") as ours:
        assert ours


@on_postgresql
def test_connections_whose_backends_died_are_replaced_not_handed_out(catalog, url):
    for db in [_borrow(url) for _ in range(POOL)]:
        db.close()
    dead = _backends(catalog)
    for pid in dead:  # an administrator (or the OOM killer) ends them while they sit idle
        catalog.execute("SELECT pg_terminate_backend(?)", [pid])

    for _ in range(POOL + 1):
        db = _borrow(url)
        try:
            assert db.execute("SELECT 1").fetchone() == (1,)
            assert db.pg.info.backend_pid not in dead
        finally:
            db.close()


@on_postgresql
def test_the_pool_never_opens_more_than_its_size_and_borrowers_wait(catalog, url):
    held = [_borrow(url), _borrow(url)]
    got: list[PostgresCatalog] = []
    waiter = threading.Thread(target=lambda: got.append(_borrow(url)))
    waiter.start()
    try:
        waiter.join(0.5)
        assert waiter.is_alive() and not got  # waits: both connections are lent
        assert len(_backends(catalog)) == POOL
        returned = held.pop()
        pid = returned.pg.info.backend_pid
        returned.close()
        waiter.join(10)
        assert got and got[0].pg.info.backend_pid == pid
    finally:
        for db in held + got:
            db.close()
    assert len(_backends(catalog)) == POOL


@pytest.fixture
def own_server() -> Iterator[PostgresServer]:
    """A server of this test's own: it is restarted, which the shared one must not be."""
    with server_of_its_own(template=False) as server:
        server.admin("CREATE DATABASE catalog")
        try:
            yield server
        finally:
            close_catalog_pools()


@on_postgresql
def test_after_a_server_restart_the_next_user_gets_a_live_connection(catalog, own_server):
    url = own_server.url("catalog")
    open_catalog(url).close()  # migrated
    for _ in range(2):  # both of the pool's connections opened before the restart
        held = [_borrow(url), _borrow(url)]
        for db in held:
            db.close()

    own_server.restart()

    for _ in range(3):
        db = _borrow(url)
        try:
            assert db.execute("SELECT count(*) FROM users").fetchone() == (0,)
        finally:
            db.close()


@pytest.mark.parametrize("catalog_engine", [Dialect.SQLITE], indirect=True, ids=str)
def test_sqlite_opens_its_file_as_before(settings):
    db = open_catalog(settings.storage.catalog_path, migrate=False, pool_size=POOL)
    assert not isinstance(db, PostgresCatalog)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.close()
