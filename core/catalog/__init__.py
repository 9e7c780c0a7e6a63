"""The catalog: every read and write of AlarmVault's rows goes through this package.

One module per table family (users, cameras, jobs, recordings, rejections); the schema is built
by the numbered migrations in `core.catalog.migrations`, applied at open. The catalog is a
SQLite file (sqlite-utils) or, for several nodes, a PostgreSQL database (`core.catalog.engine`
gives it sqlite-utils' interface, so every module serves both).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import stat
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import sqlite_utils
from psycopg_pool import ConnectionPool

from core.catalog.engine import (
    DATABASE_ERRORS,
    INTEGRITY_ERRORS,
    Dialect,
    PostgresCatalog,
    catalog_pool,
    cluster_lock,
    dialect_of,
    is_postgresql_url,
    prepare_database,
    skip_locked,
)
from core.catalog.errors import AlreadyExists, CatalogError, NotFound

__all__ = [
    "DATABASE_ERRORS",
    "INTEGRITY_ERRORS",
    "MAX_ID",
    "AlreadyExists",
    "CatalogError",
    "Dialect",
    "NotFound",
    "atomic",
    "cluster_lock",
    "dialect_of",
    "in_marks",
    "open_catalog",
    "row_locking_statement",
    "skip_locked",
    "update_alone",
    "utcnow",
    "values_by_recording",
]

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 30.0

# Row ids are SQLite INTEGERs: 1 .. 2**63-1. A larger Python int makes the sqlite3 module raise
# OverflowError, so ids from outside (URLs, query strings, bodies) are checked against this.
MAX_ID = 2**63 - 1


# SQLite's default limit on bound variables per statement is 999: long id lists go in chunks.
ID_CHUNK = 500


def in_marks(values: Sequence[object]) -> str:
    """``?, ?, …``: one placeholder per value, for an ``IN (…)`` whose values are bound."""
    return ", ".join("?" for _ in values)


def values_by_recording(
    db: sqlite_utils.Database, sql: str, recording_ids: Iterable[int]
) -> dict[int, list[Any]]:
    """``sql`` (``SELECT recording_id, value … WHERE recording_id IN ({marks}) ORDER BY …``) run
    over ``recording_ids`` in chunks; the values per recording, every id present."""
    ids = list(recording_ids)
    found: dict[int, list[Any]] = {recording_id: [] for recording_id in ids}
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        for recording_id, value in db.execute(sql.format(marks=in_marks(chunk)), chunk):
            found[recording_id].append(value)
    return found


def utcnow() -> str:
    """The current time as the catalog stores it: ISO 8601, UTC, seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def open_catalog(
    path: Path | str, *, migrate: bool = True, pool_size: int | None = None
) -> sqlite_utils.Database:
    """Open (and by default migrate) the catalog at ``path``: a SQLite file (WAL mode, foreign
    keys on) or a ``postgresql://`` URL. With ``pool_size`` (``[storage] catalog_pool_size``),
    for a short use: on PostgreSQL the connection is borrowed from this process's pool and
    ``close()`` gives it back; SQLite opens its file as ever (that costs no server process)."""
    if is_postgresql_url(path):
        pool = catalog_pool(str(path), pool_size) if pool_size else None
        return _open_postgresql(str(path), migrate=migrate, pool=pool)
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        keep_private(Path(path))
    # isolation_level=None: transactions are explicit (see `atomic`), never implicit.
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
    )
    conn.execute("PRAGMA foreign_keys = ON")
    # FULL: an indexed clip's spool folder is removed right after COMMIT, so the commit must
    # survive a power cut, not only a process crash.
    conn.execute("PRAGMA synchronous = FULL")
    # PostgreSQL's greatest(), so that the catalog's SQL reads the same on both engines.
    conn.create_function("greatest", -1, _greatest, deterministic=True)
    db = sqlite_utils.Database(conn)
    if str(path) != ":memory:":
        db.enable_wal()
    if migrate:
        from core.catalog.migrations import apply_migrations

        apply_migrations(db)
    return db


def _open_postgresql(url: str, *, migrate: bool, pool: ConnectionPool | None) -> PostgresCatalog:
    db = PostgresCatalog(url, pool)
    if migrate:
        from core.catalog.migrations import apply_migrations

        prepare_database(db)
        apply_migrations(db)
    return db


def _greatest(*values: str | float | None) -> str | float | None:
    """PostgreSQL's greatest(): the largest value that is not NULL (NULL if all are)."""
    present = [value for value in values if value is not None]
    return max(present) if present else None


def keep_private(path: Path) -> None:
    """Create the catalog file readable by its owner only, and tighten one made before.

    It holds e-mail addresses, password hashes and sealed camera passwords; every service runs
    as the same user. SQLite gives the -wal and -shm files the database file's mode when it
    creates them; ones left by an earlier run are tightened here too.

    An existing catalog is never opened here: closing any descriptor of the file drops every
    POSIX lock this process holds on it, including the locks of its other SQLite connections.
    """
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = file.stat().st_mode
            if mode & 0o077:
                file.chmod(stat.S_IMODE(mode) & 0o700)
        except FileNotFoundError:
            continue
        except PermissionError:
            logger.warning("catalog file %s is readable by others and not ours to change", file)


@contextlib.contextmanager
def atomic(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One write transaction, taken with BEGIN IMMEDIATE.

    sqlite-utils' ``db.atomic()`` starts a deferred transaction; when three processes share the
    catalog, a deferred read that later upgrades to a write can fail with SQLITE_BUSY at once
    instead of waiting. IMMEDIATE takes the write lock up front, so the busy timeout applies.
    Nested calls become savepoints through ``db.atomic()``. On PostgreSQL the transaction
    holds the catalog's writer lock, so the same one-writer rule holds between nodes.
    """
    if isinstance(db, PostgresCatalog):
        with db.atomic():
            yield db
        return
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    else:
        db.conn.execute("COMMIT")


@contextlib.contextmanager
def read_snapshot(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """One read transaction: every query inside sees the catalog as of its first read, while
    writers go on (SQLite's WAL readers; PostgreSQL's REPEATABLE READ). Inside a transaction
    already, that one is used."""
    if isinstance(db, PostgresCatalog):
        if db.in_transaction:
            yield db
            return
        with db.concurrent_transaction():
            db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield db
        return
    if db.conn.in_transaction:
        yield db
        return
    db.execute("BEGIN")
    try:
        yield db
    finally:
        db.execute("COMMIT")


@contextlib.contextmanager
def row_locking_statement(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """For ONE statement that locks the rows it takes (``FOR UPDATE SKIP LOCKED``) and is a
    whole transaction by itself. On PostgreSQL it runs as it is: in autocommit its own
    transaction, one round trip, without the writer lock, so claimers on many nodes run side
    by side (inside a caller's transaction, in that one). On SQLite, which has one writer
    anyway, inside `atomic`."""
    if isinstance(db, PostgresCatalog):
        yield db
        return
    with atomic(db):
        yield db


def update_alone(
    db: sqlite_utils.Database, sql: str, parameters: Sequence[Any]
) -> sqlite3.Cursor | psycopg.Cursor[Any]:
    """ONE ``UPDATE … WHERE`` that changes rows picked by their key and whose conditions read
    only those rows, as a write transaction of its own (inside a caller's transaction, a
    statement of that one); returns the cursor (``rowcount``).

    The same as ``with atomic(db): db.execute(sql, parameters)``, and on SQLite exactly that.
    On PostgreSQL, outside a transaction, one round trip instead of four: the statement takes
    the writer lock itself before it reads a row, and commits in autocommit while holding it.
    Its snapshot is from before the wait for the lock; that is why the conditions may read
    only the rows changed: PostgreSQL re-checks them on the newest version of a row that
    another transaction changed meanwhile.
    """
    if isinstance(db, PostgresCatalog):
        return db.update_alone(sql, parameters)
    with atomic(db):
        return db.execute(sql, parameters)
