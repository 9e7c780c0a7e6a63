"""Small SQLite files that several processes change at once: how to open one, how to change it.

Used by `sliding_window.SqliteWindowStore` and ingestd's shared connection count. Each change
that reads and then writes is one ``BEGIN IMMEDIATE`` transaction: it takes the write lock at
once, so two processes never both read the old state and both write on it.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path


def connect_shared(path: Path, *, busy_timeout_s: float, schema: str) -> sqlite3.Connection:
    """An autocommit connection in WAL mode, ``schema`` applied (``CREATE ... IF NOT EXISTS``).

    Usable from any thread (callers serialise its use); a change of several statements goes
    through `immediate_transaction`.
    """
    db = sqlite3.connect(
        path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
    )
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(schema)
    except BaseException:
        db.close()
        raise
    return db


@contextlib.contextmanager
def immediate_transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the block as one transaction holding the write lock from its start."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
        raise
