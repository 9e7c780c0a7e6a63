"""Who may open one more connection: the per-address limits, counted across worker processes
and, with a PostgreSQL catalog, across every node of the cluster.

With several pre-forked workers (`ingestd.workers`) a count kept in each process would let an
address open ``workers`` times ``max_connections_per_ip`` connections, and SFTP's total would
have to be shared out among workers that are rarely equally busy; behind a load balancer the
same holds for nodes. So connections are counted in shared tables (`SharedConnectionLimiter`):
in the catalog when it is PostgreSQL (every node, every worker: `CatalogCounts`), else in the
SQLite file that already holds the workers' shared login ban (`shared_state`, `SqliteCounts`).
One process alone on a SQLite catalog keeps an in-process count (for FTP pyftpdlib's own
``max_cons_per_ip`` does that job). The queries are the same for both.

Each process notes every ``node_heartbeat_s`` that it is alive; the connections of a process
not heard from for ``node_timeout_s`` (SIGKILL, power loss) stop counting and are removed by the
next live one, and a process that starts again first removes the rows its predecessor (same
node name and worker index) left. SFTP's total guards one node's threads: it counts that node's
connections only.

When the count cannot be asked, the two stores differ. The workers' own file failing must never
keep cameras out: a connection is admitted uncounted and one warning says why. The catalog not
answering means logins cannot be checked either: the connection is refused as "unavailable"
(FTP 421, SFTP a line before disconnecting), and admissions work again when it answers.
"""

from __future__ import annotations

import enum
import itertools
import logging
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol, TypeVar

from core.catalog import DATABASE_ERRORS
from core.catalog.engine import error_reason
from core.catalog.shared_limits import SharedLimits, shared_limits
from core.settings import Settings
from core.shared_sqlite import connect_shared, immediate_transaction
from ingestd.shared_state import SCHEMA, shared_state_file
from ingestd.worker_slots import WorkerSlot

logger = logging.getLogger(__name__)

FTP = "ftp"
SFTP = "sftp"
# Waiting longer would stall pyftpdlib's I/O loop, which admits FTP connections.
BUSY_TIMEOUT_S = 1.0

_T = TypeVar("_T")


@dataclass(frozen=True)
class Limit:
    """How many connections of one protocol may be open: per address, and in all (None: no cap)."""

    per_address: int
    total: int | None = None


# What a client refused as `Refusal.UNAVAILABLE` (or whose ban cannot be checked) is told.
MSG_UNAVAILABLE = "Service not available, try again later."


class Refusal(enum.Enum):
    TOTAL = "too many connections in all"
    ADDRESS = "too many connections from the address"
    UNAVAILABLE = "the connection count cannot be asked (catalog unavailable)"


@dataclass(frozen=True)
class Ticket:
    """One admitted connection; give it back with `release` when the connection closes."""

    id: str
    protocol: str
    address: str
    counted: bool = True  # False: admitted while the shared count failed, nothing to release


class ConnectionLimiter(Protocol):
    # Whether other processes count into the same limits (else pyftpdlib's own count does).
    shared: bool

    def admit(self, protocol: str, address: str) -> Ticket | Refusal: ...

    def release(self, ticket: Ticket) -> None: ...

    def close(self) -> None: ...


def limits_for(settings: Settings) -> dict[str, Limit]:
    # FTP's total stays pyftpdlib's per-process share: it guards each process's file descriptors.
    return {
        FTP: Limit(settings.ftp.max_connections_per_ip),
        SFTP: Limit(settings.sftp.max_connections_per_ip, settings.sftp.max_connections),
    }


def connection_limiter_for(settings: Settings, slot: WorkerSlot | None) -> ConnectionLimiter:
    """The limiter of one ingestd process: shared through the catalog when it is PostgreSQL,
    through the ban file when the process is one of several workers, else its own."""
    cluster = shared_limits(settings.storage.catalog_path)
    counts: ConnectionCounts
    if cluster is not None:
        counts = CatalogCounts(cluster)
    elif slot is None or slot.count == 1:
        return LocalConnectionLimiter(limits_for(settings))
    else:
        counts = SqliteCounts(shared_state_file(settings))
    ingest = settings.ingest
    return SharedConnectionLimiter(
        counts,
        ingest.node_name,
        slot.index if slot is not None else 0,
        limits_for(settings),
        heartbeat_s=ingest.node_heartbeat_s,
        timeout_s=ingest.node_timeout_s,
    )


class LocalConnectionLimiter:
    """Counts the connections of this process only (thread-safe)."""

    shared = False

    def __init__(self, limits: Mapping[str, Limit]) -> None:
        self.limits = dict(limits)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._open: dict[str, Ticket] = {}
        self._per_address: Counter[tuple[str, str]] = Counter()
        self._per_protocol: Counter[str] = Counter()

    def admit(self, protocol: str, address: str) -> Ticket | Refusal:
        limit = self.limits[protocol]
        with self._lock:
            if limit.total is not None and self._per_protocol[protocol] >= limit.total:
                return Refusal.TOTAL
            if self._per_address[protocol, address] >= limit.per_address:
                return Refusal.ADDRESS
            ticket = Ticket(str(next(self._ids)), protocol, address)
            self._open[ticket.id] = ticket
            self._per_address[protocol, address] += 1
            self._per_protocol[protocol] += 1
        return ticket

    def release(self, ticket: Ticket) -> None:
        with self._lock:
            if self._open.pop(ticket.id, None) is None:
                return  # released already
            self._per_address[ticket.protocol, ticket.address] -= 1
            if not self._per_address[ticket.protocol, ticket.address]:
                del self._per_address[ticket.protocol, ticket.address]
            self._per_protocol[ticket.protocol] -= 1

    def close(self) -> None:
        """Nothing to close; part of the interface."""


class Statements(Protocol):
    """What the limiter runs its SQL on (SQLite's ``?`` placeholders): a `sqlite3.Connection`
    or a `core.catalog.engine.PostgresCatalog`, which translates them."""

    def execute(self, sql: str, parameters: Sequence[Any], /) -> Any: ...


class ConnectionCounts(Protocol):
    """Where the tables ``ingest_connections`` and ``ingest_heartbeats`` are."""

    # Whether a connection is admitted uncounted when the store fails (else it is refused).
    fails_open: bool

    def transaction(self) -> AbstractContextManager[Statements]:
        """One transaction; two of them never both take the last slot."""
        ...

    def close(self) -> None: ...


class SqliteCounts:
    """The tables in the workers' shared file (`shared_state`), one ``BEGIN IMMEDIATE`` each."""

    fails_open = True

    def __init__(self, path: Path, busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self._db: sqlite3.Connection | None = None

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        if self._db is None:
            db = connect_shared(self.path, busy_timeout_s=self.busy_timeout_s, schema=SCHEMA)
            # The file is emptied at every start: losing it to a power cut costs nothing.
            db.execute("PRAGMA synchronous=OFF")
            self._db = db
        return immediate_transaction(self._db)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


# The advisory lock of every admission in the catalog (`SharedLimits.transaction`).
CATALOG_LOCK = "ingest_connections"


class CatalogCounts:
    """The tables in the PostgreSQL catalog (migration 0141), shared by every node."""

    fails_open = False

    def __init__(self, limits: SharedLimits) -> None:
        self.limits = limits

    def transaction(self) -> AbstractContextManager[Statements]:
        return self.limits.transaction(CATALOG_LOCK)

    def close(self) -> None:
        self.limits.close()


class SharedConnectionLimiter:
    """Counts the connections of every process using the same `ConnectionCounts`.

    Each admission is one transaction (SQLite's write lock, or the catalog's advisory lock), so
    two processes never both take the last slot. Rows carry the process's node name and worker
    index; its heartbeat row says it is alive (see the module for dead and restarted ones).
    """

    shared = True

    def __init__(
        self,
        counts: ConnectionCounts,
        node: str,
        worker: int,
        limits: Mapping[str, Limit],
        *,
        heartbeat_s: float,
        timeout_s: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.counts = counts
        self.node = node
        self.worker = worker
        self.limits = dict(limits)
        self.heartbeat_s = heartbeat_s
        self.timeout_s = timeout_s
        self._clock = clock  # wall-clock seconds: the same in every process and on every node
        # One connection for the process: admissions come from pyftpdlib's loop and the SFTP
        # accept thread, releases also from SFTP's housekeeping thread, beats from their own.
        self._lock = threading.Lock()
        self._closed = False
        self._failing = False
        self._unreleased: set[str] = set()  # releases that failed, retried with the next one
        with self._lock:
            self._attempt("could not clear this process's earlier connections", self._start)
        self._stop = threading.Event()
        self._heart = threading.Thread(
            target=self._beat_until_closed, name="ingestd-connection-heartbeat", daemon=True
        )
        self._heart.start()

    def admit(self, protocol: str, address: str) -> Ticket | Refusal:
        limit = self.limits[protocol]
        ticket = Ticket(uuid.uuid4().hex, protocol, address)
        with self._lock:
            if self._closed:
                return replace(ticket, counted=False)
            outcome = self._attempt(
                "admitting connections without counting them"
                if self.counts.fails_open
                else "refusing connections until it answers",
                lambda: self._admit(ticket, limit),
            )
        if outcome is not None:
            return outcome
        return replace(ticket, counted=False) if self.counts.fails_open else Refusal.UNAVAILABLE

    def release(self, ticket: Ticket) -> None:
        if not ticket.counted:
            return
        with self._lock:
            self._unreleased.add(ticket.id)
            if not self._closed:
                self._attempt(
                    "a closed connection may count until it answers again",
                    self._delete_unreleased,
                )

    def close(self) -> None:
        """Stop beating and close the store; the rows stay until this process starts again or
        its heartbeat runs out (a stopped server has released its connections already)."""
        self._stop.set()
        if self._heart is not threading.current_thread():
            self._heart.join(timeout=10)
        with self._lock:
            self._closed = True
            self.counts.close()

    def _beat_until_closed(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            with self._lock:
                if self._closed:
                    return
                self._attempt("connections of stopped nodes may count longer", self._beat)

    # --- inside the lock

    def _attempt(self, consequence: str, action: Callable[[], _T]) -> _T | None:
        """``action()``'s result, or None after a database error (one warning per outage)."""
        try:
            result = action()
        except DATABASE_ERRORS as error:
            if not self._failing:
                self._failing = True
                logger.warning(
                    "shared connection count failed (%s); %s", error_reason(error), consequence
                )
            return None
        if self._failing:
            self._failing = False
            logger.info("shared connection count works again")
        return result

    def _start(self) -> None:
        with self.counts.transaction() as db:
            db.execute(
                "DELETE FROM ingest_connections WHERE node = ? AND worker = ?",
                [self.node, self.worker],
            )
            self._note_alive(db)

    def _beat(self) -> None:
        """Note this process alive; remove the connections of processes that are not."""
        pending = list(self._unreleased)
        dead_since = self._clock() - self.timeout_s
        with self.counts.transaction() as db:
            self._delete(db, pending)
            self._note_alive(db)
            db.execute(
                "DELETE FROM ingest_connections WHERE EXISTS (SELECT 1 FROM ingest_heartbeats h"
                " WHERE h.node = ingest_connections.node AND h.worker = ingest_connections.worker"
                " AND h.seen_at <= ?)",
                [dead_since],
            )
            db.execute("DELETE FROM ingest_heartbeats WHERE seen_at <= ?", [dead_since])
        self._unreleased.difference_update(pending)

    def _note_alive(self, db: Statements) -> None:
        db.execute(
            "INSERT INTO ingest_heartbeats (node, worker, seen_at) VALUES (?, ?, ?)"
            " ON CONFLICT (node, worker) DO UPDATE SET seen_at = excluded.seen_at",
            [self.node, self.worker, self._clock()],
        )

    def _admit(self, ticket: Ticket, limit: Limit) -> Ticket | Refusal:
        pending = list(self._unreleased)
        with self.counts.transaction() as db:
            self._delete(db, pending)
            # Alive as of now: a process that was paused past the timeout (its rows removed
            # by another) counts again from this connection on.
            self._note_alive(db)
            refusal = self._refusal(db, ticket, limit)
            if refusal is None:
                db.execute(
                    "INSERT INTO ingest_connections (id, node, worker, protocol, address)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [ticket.id, self.node, self.worker, ticket.protocol, ticket.address],
                )
        self._unreleased.difference_update(pending)
        return ticket if refusal is None else refusal

    def _refusal(self, db: Statements, ticket: Ticket, limit: Limit) -> Refusal | None:
        alive_since = self._clock() - self.timeout_s
        if limit.total is not None:
            (total,) = db.execute(
                _COUNT_ALIVE + " AND c.node = ?",
                [alive_since, ticket.protocol, self.node],
            ).fetchone()
            if total >= limit.total:
                return Refusal.TOTAL
        (same,) = db.execute(
            _COUNT_ALIVE + " AND c.address = ?",
            [alive_since, ticket.protocol, ticket.address],
        ).fetchone()
        return Refusal.ADDRESS if same >= limit.per_address else None

    def _delete_unreleased(self) -> None:
        pending = list(self._unreleased)
        with self.counts.transaction() as db:
            self._delete(db, pending)
        self._unreleased.difference_update(pending)

    @staticmethod
    def _delete(db: Statements, ids: list[str]) -> None:
        for connection_id in ids:
            db.execute("DELETE FROM ingest_connections WHERE id = ?", [connection_id])


# The open connections of one protocol held by processes that are alive (then narrowed down).
_COUNT_ALIVE = (
    "SELECT COUNT(*) FROM ingest_connections c JOIN ingest_heartbeats h"
    " ON h.node = c.node AND h.worker = c.worker"
    " WHERE h.seen_at > ? AND c.protocol = ?"
)
