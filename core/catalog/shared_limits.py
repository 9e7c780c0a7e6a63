"""Rate limits and login bans shared by every node of a cluster, in the PostgreSQL catalog.

On one node the limits live where they always did: in memory (the web UI, the API, one ingestd
process) or in ingestd's own SQLite file (its pre-forked workers). On several nodes a guesser
would gain ``nodes`` times the allowed tries by spreading them over the nodes, so when the
catalog is PostgreSQL (`shared_limits` says which) the limiters keep their events, lockouts and
known camera logins in the catalog's tables (migration 0111): every node counts into the same
windows and is refused by the same bans.

`SharedLimits` is one connection of this process to those tables; its `window` stores
(`core.sliding_window.WindowStore`) and its `known_logins` (ingestd's ``KnownLogins``) use it
in turn, under a lock, so a process holds one connection however many limiters it has. An
`atomic` step of a limiter is one transaction holding an advisory lock for that limiter: two
nodes never both take the last slot of a window, and limiters do not wait for each other nor
for the catalog's writer lock. Times are wall-clock seconds (``time.time``), the same on every
node as far as their clocks agree.

These checks run where a client waits (ingestd checks bans and connection counts in the FTP
I/O loop that serves every camera), so a slow or unreachable catalog must fail them quickly:
each statement may run `STATEMENT_TIMEOUT_MS`, a connection attempt `CONNECT_TIMEOUT_S`
(unacknowledged data `TCP_USER_TIMEOUT_MS`), and after a failed attempt the catalog is not
tried again for a while (`RETRY_AFTER_S`; `CatalogUnavailable` at once; the connection is a
`ReconnectingCatalog`). An outage is logged once, with its reason, and its end once; the caller
decides what a failed check means (ingestd refuses the client).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import threading
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from core.catalog.engine import PostgresCatalog, is_postgresql_url
from core.catalog.reconnect import OutageLog, ReconnectingCatalog

# How long one limit statement may run (advisory lock waits included).
STATEMENT_TIMEOUT_MS = 2000
# How long data sent to the catalog may stay unacknowledged before the connection counts as
# lost (a host that vanished does not answer, it does not refuse).
TCP_USER_TIMEOUT_MS = 5000
# A connection attempt for the limits gives up after this long (libpq's least), unless the URL
# sets ``connect_timeout``: a host that does not answer stalls whoever waits for the check.
CONNECT_TIMEOUT_S = 2
# After a failed connection attempt, checks fail at once for this long (at least; four times
# as long as the attempt took), instead of each waiting for an attempt of its own: a host that
# does not answer at all stalls the checks a fifth of the time at most.
RETRY_AFTER_S = 1.0


def shared_limits(catalog: Path | str) -> SharedLimits | None:
    """The catalog's shared limit tables when ``catalog`` is a PostgreSQL URL (the nodes of a
    cluster share it); None for a SQLite catalog, whose one node keeps its limits itself."""
    if is_postgresql_url(catalog):
        return SharedLimits(str(catalog))
    return None


def _lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"limit:{name}".encode()).digest()[:8], "big", signed=True)


class SharedLimits:
    """This process's connection to the catalog's limit tables, opened on first use (so an
    object made before ingestd forks its workers opens one per worker), again after a failure."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.RLock()
        self._catalog = ReconnectingCatalog(
            functools.partial(_limits_connection, _conninfo(url)),
            OutageLog("shared limits"),
            retry_first_s=RETRY_AFTER_S,
            retry_max_s=RETRY_AFTER_S,
        )
        # The web UI's limiters live as long as its app, which has no hook at its end:
        # the connection closes when this object goes (not left to the garbage).
        weakref.finalize(self, self._catalog.close)

    def window(self, limiter: str) -> CatalogWindowStore:
        """The events and lockouts of the limiter named ``limiter`` (the same on every node)."""
        return CatalogWindowStore(self, limiter)

    def known_logins(self) -> CatalogKnownLogins:
        return CatalogKnownLogins(self)

    @contextlib.contextmanager
    def using(self) -> Iterator[PostgresCatalog]:
        """The connection, for this thread alone until the block ends; a statement that breaks
        the connection drops it, and the next use opens a new one."""
        with self._lock:
            db = self._catalog.connection()
            assert isinstance(db, PostgresCatalog)
            try:
                yield db
            except psycopg.OperationalError as error:
                # The server went away, or did not answer within the statement timeout.
                if not self._catalog.lost(error):
                    self._catalog.outage.lost(error)
                raise
            except BaseException as error:
                self._catalog.lost(error)
                raise
            self._catalog.outage.back()

    @contextlib.contextmanager
    def transaction(self, name: str) -> Iterator[PostgresCatalog]:
        """One transaction holding the advisory lock ``name``: one such step at a time across
        the cluster."""
        with self.using() as db, db.pg.transaction():
            db.pg.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(name)])
            yield db

    def close(self) -> None:
        with self._lock:
            self._catalog.close()


def _conninfo(url: str) -> str:
    given = conninfo_to_dict(url)
    defaults = {"connect_timeout": CONNECT_TIMEOUT_S, "tcp_user_timeout": TCP_USER_TIMEOUT_MS}
    return make_conninfo(url, **{k: v for k, v in defaults.items() if k not in given})


def _limits_connection(conninfo: str) -> PostgresCatalog:
    db = PostgresCatalog(conninfo)
    db.pg.execute(f"SET statement_timeout = {int(STATEMENT_TIMEOUT_MS)}")
    return db


class CatalogWindowStore:
    """`core.sliding_window.WindowStore` in the catalog: the events of every node at once."""

    def __init__(self, limits: SharedLimits, limiter: str) -> None:
        self.limits = limits
        self.limiter = limiter

    def atomic(self) -> AbstractContextManager[None]:
        return self._step()

    @contextlib.contextmanager
    def _step(self) -> Iterator[None]:
        with self.limits.transaction(self.limiter):
            yield

    def count(self, key: str, since: float) -> int:
        with self.limits.using() as db:
            row = db.execute(
                "SELECT COUNT(*) FROM limit_events"
                " WHERE limiter = ? AND key = ? AND happened_at > ?",
                [self.limiter, key, since],
            ).fetchone()
        return int(row[0]) if row else 0

    def oldest(self, key: str, since: float) -> float | None:
        with self.limits.using() as db:
            row = db.execute(
                "SELECT MIN(happened_at) FROM limit_events"
                " WHERE limiter = ? AND key = ? AND happened_at > ?",
                [self.limiter, key, since],
            ).fetchone()
        return None if row is None or row[0] is None else float(row[0])

    def add(self, key: str, at: float) -> None:
        with self.limits.using() as db:
            db.execute(
                "INSERT INTO limit_events (limiter, key, happened_at) VALUES (?, ?, ?)",
                [self.limiter, key, at],
            )

    def clear(self, key: str) -> None:
        with self.limits.using() as db:
            db.execute(
                "DELETE FROM limit_events WHERE limiter = ? AND key = ?", [self.limiter, key]
            )

    def forget_before(self, at: float) -> None:
        with self.limits.using() as db:
            db.execute(
                "DELETE FROM limit_events WHERE limiter = ? AND happened_at <= ?",
                [self.limiter, at],
            )

    def locked_until(self, key: str) -> float | None:
        with self.limits.using() as db:
            row = db.execute(
                "SELECT locked_until FROM limit_lockouts WHERE limiter = ? AND key = ?",
                [self.limiter, key],
            ).fetchone()
        return None if row is None else float(row[0])

    def lock(self, key: str, until: float) -> None:
        # Called within `atomic` (the limiter's advisory lock): no other node writes the row
        # between the two statements.
        with self.limits.using() as db:
            db.execute(
                "DELETE FROM limit_lockouts WHERE limiter = ? AND key = ?", [self.limiter, key]
            )
            db.execute(
                "INSERT INTO limit_lockouts (limiter, key, locked_until) VALUES (?, ?, ?)",
                [self.limiter, key, until],
            )

    def forget_locks(self, now: float) -> None:
        with self.limits.using() as db:
            db.execute(
                "DELETE FROM limit_lockouts WHERE limiter = ? AND locked_until <= ?",
                [self.limiter, now],
            )

    def close(self) -> None:
        self.limits.close()


KNOWN_LOGINS_LOCK = "known_camera_logins"


class CatalogKnownLogins:
    """ingestd's ``KnownLogins`` in the catalog: a camera that logged in through one node is
    known to every node."""

    def __init__(self, limits: SharedLimits) -> None:
        self.limits = limits

    def remember(self, address: str, account: str, until: float, now: float) -> None:
        with self.limits.transaction(KNOWN_LOGINS_LOCK) as db:
            db.execute("DELETE FROM known_camera_logins WHERE known_until <= ?", [now])
            db.execute(
                "DELETE FROM known_camera_logins WHERE address = ? AND account = ?",
                [address, account],
            )
            db.execute(
                "INSERT INTO known_camera_logins (address, account, known_until) VALUES (?, ?, ?)",
                [address, account, until],
            )

    def is_known(self, address: str, account: str, now: float) -> bool:
        with self.limits.using() as db:
            row = db.execute(
                "SELECT 1 FROM known_camera_logins"
                " WHERE address = ? AND account = ? AND known_until > ?",
                [address, account, now],
            ).fetchone()
        return row is not None

    def any_known(self, address: str, now: float) -> bool:
        with self.limits.using() as db:
            row = db.execute(
                "SELECT 1 FROM known_camera_logins WHERE address = ? AND known_until > ? LIMIT 1",
                [address, now],
            ).fetchone()
        return row is not None

    def close(self) -> None:
        self.limits.close()
