"""The SQLite file all ingestd worker processes share: the login ban and the open connections.

With several workers a guesser's connections land on different processes; an in-memory ban
per process would grant it ``workers`` times the allowed failures, and a connection count per
process ``workers`` times the allowed connections. So the ban's failed logins
(`login_ban.LoginBan`: per (address, account) and per address, each a
`core.sliding_window.SqliteWindowStore`), the cameras known to log in from an address
(`SqliteKnownLogins`) and the admitted connections (`connection_limits.SharedConnectionLimiter`,
tables ``ingest_connections`` and ``ingest_heartbeats``) live in one file in the data directory
beside the catalog (not in it: the catalog's schema belongs to the pipeline).
It is emptied when ingestd starts, except for the known logins that have not expired: a restart
must not make every camera a stranger to the address cap. Times are wall-clock seconds, the
same in every process.

With a PostgreSQL catalog the ban, the known logins and the connection counts live in the
catalog instead, shared by every node (`login_ban.LoginBan.for_settings`,
`connection_limits.connection_limiter_for`, `core.catalog.shared_limits`).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from pathlib import Path

from core.settings import Settings
from core.shared_sqlite import connect_shared
from core.sliding_window import SqliteWindowStore

logger = logging.getLogger(__name__)

FILE_NAME = "ingestd-bans.sqlite"
# The login ban's rows in the window store's own tables (`core.sliding_window.WINDOW_SCHEMA`).
LOGIN_FAILURES = "login_failures"  # per (address, account)
ADDRESS_FAILURES = "address_failures"  # per address, every account together
SCHEMA = (
    # The connections the workers admitted and each worker's heartbeat, see
    # `connection_limits.SharedConnectionLimiter` (the catalog's migration 0141 has the same).
    "CREATE TABLE IF NOT EXISTS ingest_connections (id TEXT PRIMARY KEY, node TEXT NOT NULL,"
    " worker INTEGER NOT NULL, protocol TEXT NOT NULL, address TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS idx_ingest_connections_address"
    " ON ingest_connections (protocol, address);"
    "CREATE INDEX IF NOT EXISTS idx_ingest_connections_holder"
    " ON ingest_connections (node, worker);"
    "CREATE TABLE IF NOT EXISTS ingest_heartbeats (node TEXT NOT NULL, worker INTEGER NOT NULL,"
    " seen_at REAL NOT NULL, PRIMARY KEY (node, worker));"
)
KNOWN_LOGINS_SCHEMA = (
    # One row per (address, account digest) that logged in, see `login_ban.KnownLogins`.
    "CREATE TABLE IF NOT EXISTS known_logins (address TEXT NOT NULL, account TEXT NOT NULL,"
    " until REAL NOT NULL, PRIMARY KEY (address, account));"
)


def shared_state_file(settings: Settings) -> Path:
    return settings.storage.data_dir / FILE_NAME


def reset_shared_state(settings: Settings) -> None:
    """Start empty: bans and connections of an earlier run are not carried over a restart.
    Known logins that have not expired are (a file a crash left unreadable loses them)."""
    path = shared_state_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    known = unexpired_known_logins(path, time.time())
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.executescript(SCHEMA + KNOWN_LOGINS_SCHEMA)
        db.executemany("INSERT INTO known_logins (address, account, until) VALUES (?, ?, ?)", known)
    db.close()


def unexpired_known_logins(path: Path, now: float) -> list[tuple[str, str, float]]:
    """The known camera logins in the shared file ``path`` that have not expired at ``now``
    (none when there is no file: one ingestd process keeps them in memory)."""
    if not path.exists():
        return []
    try:
        with contextlib.closing(sqlite3.connect(path)) as db:
            rows = db.execute(
                "SELECT address, account, until FROM known_logins WHERE until > ?", [now]
            ).fetchall()
    except sqlite3.Error as error:
        logger.warning("known camera logins in %s cannot be read, they are lost: %s", path, error)
        return []
    return [(str(a), str(b), float(c)) for a, b, c in rows]


def login_failures_store(settings: Settings) -> SqliteWindowStore:
    """Where every worker counts failed logins per (address, account)."""
    return SqliteWindowStore(shared_state_file(settings), LOGIN_FAILURES)


def address_failures_store(settings: Settings) -> SqliteWindowStore:
    """Where every worker counts failed logins per address."""
    return SqliteWindowStore(shared_state_file(settings), ADDRESS_FAILURES)


def known_logins_store(settings: Settings) -> SqliteKnownLogins:
    return SqliteKnownLogins(shared_state_file(settings))


class SqliteKnownLogins:
    """`login_ban.KnownLogins` in the shared file: every worker knows every pair at once."""

    def __init__(self, path: Path, busy_timeout_s: float = 5.0) -> None:
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()

    def remember(self, address: str, account: str, until: float, now: float) -> None:
        db = self._db()
        db.execute("DELETE FROM known_logins WHERE until <= ?", [now])
        db.execute(
            "INSERT OR REPLACE INTO known_logins (address, account, until) VALUES (?, ?, ?)",
            [address, account, until],
        )

    def is_known(self, address: str, account: str, now: float) -> bool:
        row = self._db().execute(
            "SELECT 1 FROM known_logins WHERE address = ? AND account = ? AND until > ?",
            [address, account, now],
        )
        return row.fetchone() is not None

    def any_known(self, address: str, now: float) -> bool:
        row = self._db().execute(
            "SELECT 1 FROM known_logins WHERE address = ? AND until > ? LIMIT 1", [address, now]
        )
        return row.fetchone() is not None

    def close(self) -> None:
        with self._connections_lock:
            for db in self._connections:
                db.close()
            self._connections.clear()

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = connect_shared(
                self.path, busy_timeout_s=self.busy_timeout_s, schema=KNOWN_LOGINS_SCHEMA
            )
            self._local.db = db
            with self._connections_lock:
                self._connections.append(db)
        return db
