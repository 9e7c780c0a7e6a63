"""The one sliding-window limiter: at most ``limit`` events per key in any ``window_s`` seconds.

Every rate rule of AlarmVault is one: ingestd's login ban (failed logins per address, then a
lockout), the web UI's login limits (failures per account and per client network), the API's
call limits (calls per token, failures per network). The rule is pure logic: the time comes from
an injectable clock, the event times from a store. `MemoryWindowStore` serves one process;
`SqliteWindowStore` keeps them in a file several processes share (ingestd's pre-forked workers),
so that a guesser gains nothing by landing on another process.

An event counts while it is younger than ``window_s``. With ``lockout_s`` set, the event that
fills the window locks the key out for that long and the count starts again afterwards;
without it the key is refused only until its oldest event leaves the window.
"""

from __future__ import annotations

import contextlib
import math
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from core.shared_sqlite import connect_shared, immediate_transaction

Clock = Callable[[], float]


@dataclass(frozen=True)
class WindowVerdict:
    """Whether a counted call may go ahead, and what its client may be told about the limit."""

    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int


class WindowStore(Protocol):
    """Where a `SlidingWindowLimiter` keeps event times and lockouts, per key."""

    def atomic(self) -> AbstractContextManager[None]:
        """One step of the limiter: no other thread or process changes the store meanwhile."""
        ...

    def count(self, key: str, since: float) -> int:
        """How many events of ``key`` happened after ``since``."""
        ...

    def oldest(self, key: str, since: float) -> float | None:
        """The time of the oldest event of ``key`` after ``since``; None if there is none."""
        ...

    def add(self, key: str, at: float) -> None: ...

    def clear(self, key: str) -> None:
        """Forget every event of ``key``."""
        ...

    def forget_before(self, at: float) -> None:
        """Forget the events of every key that happened at or before ``at``."""
        ...

    def locked_until(self, key: str) -> float | None: ...

    def lock(self, key: str, until: float) -> None: ...

    def forget_locks(self, now: float) -> None:
        """Forget the lockouts that ended at or before ``now``."""
        ...

    def close(self) -> None: ...


class SlidingWindowLimiter:
    """At most ``limit`` events per key in any ``window_s`` seconds (see the module docstring)."""

    def __init__(
        self,
        limit: int,
        window_s: float,
        *,
        lockout_s: float | None = None,
        clock: Clock = time.monotonic,
        store: WindowStore | None = None,
    ) -> None:
        if limit < 1 or window_s <= 0:
            raise ValueError("a sliding window needs a limit of at least 1 and a positive length")
        self.limit = limit
        self.window_s = window_s
        self.lockout_s = lockout_s
        self._clock = clock
        self.store: WindowStore = store if store is not None else MemoryWindowStore()

    def is_blocked(self, key: str) -> bool:
        """True while ``key`` is locked out or its window is full."""
        now = self._clock()
        if self._locked(key, now):
            return True
        # With a lockout, the event that fills the window starts one and clears the count.
        return self.lockout_s is None and self._count(key, now) >= self.limit

    def hit(self, key: str) -> WindowVerdict:
        """Count an event for ``key`` only if the window has room; say whether it may go ahead."""
        now = self._clock()
        with self.store.atomic():
            until = self.store.locked_until(key)
            if until is not None and now < until:
                return WindowVerdict(False, self.limit, 0, max(math.ceil(until - now), 1))
            since = now - self.window_s
            count = self.store.count(key, since)
            if count >= self.limit:
                oldest = self.store.oldest(key, since)
                wait = math.ceil((oldest if oldest is not None else now) + self.window_s - now)
                return WindowVerdict(False, self.limit, 0, max(wait, 1))
            self._add(key, now)
        return WindowVerdict(True, self.limit, self.limit - count - 1, 0)

    def record(self, key: str) -> bool:
        """Count an event for ``key`` whatever the window holds; True when it fills the window.

        With a lockout, True means this event started one (and False while one runs: events
        of a locked-out key are not counted).
        """
        now = self._clock()
        with self.store.atomic():
            self.store.forget_locks(now)
            if self._locked(key, now):
                return False
            self._add(key, now)
            if self._count(key, now) < self.limit:
                return False
            if self.lockout_s is not None:
                self.store.clear(key)
                self.store.lock(key, now + self.lockout_s)
        return True

    def reset(self, key: str) -> None:
        """Forget the events of ``key`` (a lockout that runs stays)."""
        self.store.clear(key)

    def close(self) -> None:
        self.store.close()

    def _locked(self, key: str, now: float) -> bool:
        until = self.store.locked_until(key)
        return until is not None and now < until

    def _count(self, key: str, now: float) -> int:
        return self.store.count(key, now - self.window_s)

    def _add(self, key: str, now: float) -> None:
        # Keeps the store bounded when many keys come once and never again.
        self.store.forget_before(now - self.window_s)
        self.store.add(key, now)


class MemoryWindowStore:
    """Event times in this process's memory (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._events: dict[str, deque[float]] = {}
        self._locks: dict[str, float] = {}

    def atomic(self) -> AbstractContextManager[None]:
        return _holding(self._lock)

    def count(self, key: str, since: float) -> int:
        with self._lock:
            return len(self._recent(key, since))

    def oldest(self, key: str, since: float) -> float | None:
        with self._lock:
            recent = self._recent(key, since)
            return recent[0] if recent else None

    def add(self, key: str, at: float) -> None:
        with self._lock:
            self._events.setdefault(key, deque()).append(at)

    def clear(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)

    def forget_before(self, at: float) -> None:
        with self._lock:
            for key in list(self._events):
                self._recent(key, at)

    def locked_until(self, key: str) -> float | None:
        with self._lock:
            return self._locks.get(key)

    def lock(self, key: str, until: float) -> None:
        with self._lock:
            self._locks[key] = until

    def forget_locks(self, now: float) -> None:
        with self._lock:
            for key in [key for key, until in self._locks.items() if until <= now]:
                del self._locks[key]

    def close(self) -> None:
        """Nothing to close; part of the interface."""

    def _recent(self, key: str, since: float) -> deque[float]:
        # Events are appended in time order: the old ones are at the front.
        events = self._events.get(key)
        if events is None:
            return deque()
        while events and events[0] <= since:
            events.popleft()
        if not events:
            del self._events[key]
        return events


@contextlib.contextmanager
def _holding(lock: threading.RLock) -> Iterator[None]:
    with lock:
        yield


WINDOW_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS window_events"
    " (window TEXT NOT NULL, key TEXT NOT NULL, at REAL NOT NULL);"
    "CREATE INDEX IF NOT EXISTS window_events_key ON window_events (window, key);"
    "CREATE TABLE IF NOT EXISTS window_locks"
    " (window TEXT NOT NULL, key TEXT NOT NULL, until REAL NOT NULL, PRIMARY KEY (window, key));"
)


class SqliteWindowStore:
    """Event times in a SQLite file that several processes open at once.

    Each process (each thread, through its own connection) sees the others' events at once; an
    `atomic` step is one ``BEGIN IMMEDIATE`` transaction, so two processes never both take the
    last slot. Times must come from a clock all of them share (``time.time``). Rows carry the
    ``window`` name, so one file may hold several limiters' events.
    """

    def __init__(self, path: Path, window: str, busy_timeout_s: float = 5.0) -> None:
        self.path = path
        self.window = window
        self.busy_timeout_s = busy_timeout_s
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()

    def atomic(self) -> AbstractContextManager[None]:
        return self._transaction()

    def count(self, key: str, since: float) -> int:
        row = self._db().execute(
            "SELECT COUNT(*) FROM window_events WHERE window = ? AND key = ? AND at > ?",
            [self.window, key, since],
        )
        return int(row.fetchone()[0])

    def oldest(self, key: str, since: float) -> float | None:
        row = self._db().execute(
            "SELECT MIN(at) FROM window_events WHERE window = ? AND key = ? AND at > ?",
            [self.window, key, since],
        )
        value = row.fetchone()[0]
        return None if value is None else float(value)

    def add(self, key: str, at: float) -> None:
        self._db().execute(
            "INSERT INTO window_events (window, key, at) VALUES (?, ?, ?)", [self.window, key, at]
        )

    def clear(self, key: str) -> None:
        self._db().execute(
            "DELETE FROM window_events WHERE window = ? AND key = ?", [self.window, key]
        )

    def forget_before(self, at: float) -> None:
        self._db().execute(
            "DELETE FROM window_events WHERE window = ? AND at <= ?", [self.window, at]
        )

    def locked_until(self, key: str) -> float | None:
        row = self._db().execute(
            "SELECT until FROM window_locks WHERE window = ? AND key = ?", [self.window, key]
        )
        found = row.fetchone()
        return None if found is None else float(found[0])

    def lock(self, key: str, until: float) -> None:
        self._db().execute(
            "INSERT OR REPLACE INTO window_locks (window, key, until) VALUES (?, ?, ?)",
            [self.window, key, until],
        )

    def forget_locks(self, now: float) -> None:
        self._db().execute(
            "DELETE FROM window_locks WHERE window = ? AND until <= ?", [self.window, now]
        )

    def close(self) -> None:
        with self._connections_lock:
            for db in self._connections:
                db.close()
            self._connections.clear()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        with immediate_transaction(self._db()):
            yield

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = connect_shared(self.path, busy_timeout_s=self.busy_timeout_s, schema=WINDOW_SCHEMA)
            self._local.db = db
            with self._connections_lock:
                self._connections.append(db)
        return db
