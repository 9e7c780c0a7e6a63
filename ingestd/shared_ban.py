"""The brute-force ban shared by every ingestd worker process, in a small SQLite file.

The same file also counts the workers' open connections (`connection_limits`), so one reset at
start empties both.

With several workers a guesser's connections land on different processes; an in-memory ban
per process would grant it ``workers`` times the allowed failures. The file lives in the data
directory beside the catalog (not in it: the catalog's schema belongs to the pipeline) and is
emptied when ingestd starts. Times are wall-clock seconds, the same in every process.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from core.settings import Settings
from core.spool import shorten_address

logger = logging.getLogger(__name__)

FILE_NAME = "ingestd-bans.sqlite"
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS login_failures (address TEXT NOT NULL, at REAL NOT NULL);"
    "CREATE INDEX IF NOT EXISTS login_failures_address ON login_failures (address);"
    "CREATE TABLE IF NOT EXISTS login_bans (address TEXT PRIMARY KEY, until REAL NOT NULL);"
    # One row per connection a worker admitted, see `connection_limits.SharedConnectionLimiter`.
    "CREATE TABLE IF NOT EXISTS open_connections (id TEXT PRIMARY KEY, protocol TEXT NOT NULL,"
    " address TEXT NOT NULL, worker INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS open_connections_address"
    " ON open_connections (protocol, address);"
)


def ban_file(settings: Settings) -> Path:
    return settings.storage.data_dir / FILE_NAME


class SharedLoginBan:
    """`credentials.LoginBan`'s interface, kept in a file every worker opens."""

    def __init__(
        self,
        path: Path,
        failures: int,
        window_s: float,
        duration_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.failures = failures
        self.window_s = window_s
        self.duration_s = duration_s
        self._clock = clock
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()

    @classmethod
    def for_settings(cls, settings: Settings) -> SharedLoginBan:
        ingest = settings.ingest
        return cls(
            ban_file(settings),
            ingest.ban_after_failures,
            ingest.ban_window_s,
            ingest.ban_duration_s,
        )

    @staticmethod
    def reset(settings: Settings) -> None:
        """Start empty: bans and connections of an earlier run are not carried over a restart."""
        path = ban_file(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
        db.close()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            # Autocommit; each change below is one short explicit transaction.
            db = sqlite3.connect(
                self.path, timeout=5, isolation_level=None, check_same_thread=False
            )
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
            self._local.db = db
            with self._connections_lock:
                self._connections.append(db)
        return db

    def is_banned(self, address: str) -> bool:
        row = (
            self._db()
            .execute("SELECT until FROM login_bans WHERE address = ?", [address])
            .fetchone()
        )
        return row is not None and self._clock() < row[0]

    def record_failure(self, address: str) -> bool:
        """Count a failed login; True when this failure starts a ban (logged here, once)."""
        now = self._clock()
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM login_failures WHERE at < ?", [now - self.window_s])
            db.execute("DELETE FROM login_bans WHERE until <= ?", [now])
            if db.execute("SELECT 1 FROM login_bans WHERE address = ?", [address]).fetchone():
                db.execute("COMMIT")
                return False
            db.execute("INSERT INTO login_failures VALUES (?, ?)", [address, now])
            count = db.execute(
                "SELECT COUNT(*) FROM login_failures WHERE address = ?", [address]
            ).fetchone()[0]
            starts_ban = count >= self.failures
            if starts_ban:
                db.execute("DELETE FROM login_failures WHERE address = ?", [address])
                db.execute("INSERT INTO login_bans VALUES (?, ?)", [address, now + self.duration_s])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if starts_ban:
            logger.warning(
                "login ban: %s refused for %d s after %d failed logins",
                shorten_address(address),
                self.duration_s,
                self.failures,
            )
        return starts_ban

    def record_success(self, address: str) -> None:
        self._db().execute("DELETE FROM login_failures WHERE address = ?", [address])

    def close(self) -> None:
        with self._connections_lock:
            for db in self._connections:
                db.close()
            self._connections.clear()
