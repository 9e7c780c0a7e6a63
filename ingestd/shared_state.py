"""The SQLite file all ingestd worker processes share: the login ban and the open connections.

With several workers a guesser's connections land on different processes; an in-memory ban
per process would grant it ``workers`` times the allowed failures, and a connection count per
process ``workers`` times the allowed connections. So the ban's failed logins
(`credentials.LoginBan`, a `core.sliding_window.SqliteWindowStore`) and the admitted connections
(`connection_limits.SharedConnectionLimiter`, table ``open_connections``) live in one file in
the data directory beside the catalog (not in it: the catalog's schema belongs to the pipeline),
emptied when ingestd starts. Times are wall-clock seconds, the same in every process.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from core.settings import Settings
from core.sliding_window import SqliteWindowStore

FILE_NAME = "ingestd-bans.sqlite"
# The login ban's rows in the window store's own tables (`core.sliding_window.WINDOW_SCHEMA`).
LOGIN_FAILURES = "login_failures"
SCHEMA = (
    # One row per connection a worker admitted, see `connection_limits.SharedConnectionLimiter`.
    "CREATE TABLE IF NOT EXISTS open_connections (id TEXT PRIMARY KEY, protocol TEXT NOT NULL,"
    " address TEXT NOT NULL, worker INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS open_connections_address"
    " ON open_connections (protocol, address);"
)


def shared_state_file(settings: Settings) -> Path:
    return settings.storage.data_dir / FILE_NAME


def reset_shared_state(settings: Settings) -> None:
    """Start empty: bans and connections of an earlier run are not carried over a restart."""
    path = shared_state_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA)
    db.close()


def login_failures_store(settings: Settings) -> SqliteWindowStore:
    """Where every worker counts failed logins, for the shared `credentials.LoginBan`."""
    return SqliteWindowStore(shared_state_file(settings), LOGIN_FAILURES)
