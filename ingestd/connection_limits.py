"""Who may open one more connection: the per-address limits, counted across worker processes.

With several pre-forked workers (`ingestd.workers`) a count kept in each process would let an
address open ``workers`` times ``max_connections_per_ip`` connections, and SFTP's total would
have to be shared out among workers that are rarely equally busy. So when more than one process
serves a protocol, its connections are counted in the SQLite file that already holds the shared
login ban (`shared_state`). One process alone keeps an in-process count (for FTP pyftpdlib's own
``max_cons_per_ip`` does that job).

The shared count must never keep cameras out because of an internal error: when SQLite fails,
a connection is admitted uncounted and one warning says why.
"""

from __future__ import annotations

import enum
import itertools
import logging
import sqlite3
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol, TypeVar

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


class Refusal(enum.Enum):
    TOTAL = "too many connections in all"
    ADDRESS = "too many connections from the address"


@dataclass(frozen=True)
class Ticket:
    """One admitted connection; give it back with `release` when the connection closes."""

    id: str
    protocol: str
    address: str
    counted: bool = True  # False: admitted while the shared count failed, nothing to release


class ConnectionLimiter(Protocol):
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
    """The limiter of one ingestd process: shared through the ban file when it is a worker."""
    if slot is None or slot.count == 1:
        return LocalConnectionLimiter(limits_for(settings))
    return SharedConnectionLimiter(shared_state_file(settings), slot.index, limits_for(settings))


class LocalConnectionLimiter:
    """Counts the connections of this process only (thread-safe)."""

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


class SharedConnectionLimiter:
    """Counts every worker's connections in the shared ban file (table ``open_connections``).

    Each admission is one short ``BEGIN IMMEDIATE`` transaction, so two workers never both take
    the last slot. A worker's rows carry its index: a restarted worker (after a crash, its rows
    left behind) deletes them first, so a dead process's connections do not count forever.
    """

    def __init__(
        self,
        path: Path,
        worker: int,
        limits: Mapping[str, Limit],
        busy_timeout_s: float = BUSY_TIMEOUT_S,
    ) -> None:
        self.path = path
        self.worker = worker
        self.limits = dict(limits)
        self.busy_timeout_s = busy_timeout_s
        # One connection for the process: admissions come from pyftpdlib's loop and the SFTP
        # accept thread, releases also from SFTP's housekeeping thread.
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._closed = False
        self._failing = False
        self._unreleased: set[str] = set()  # releases that failed, retried with the next one
        with self._lock:
            self._attempt("could not clear this worker's earlier connections", self._clear_own)

    def admit(self, protocol: str, address: str) -> Ticket | Refusal:
        limit = self.limits[protocol]
        ticket = Ticket(uuid.uuid4().hex, protocol, address)
        with self._lock:
            if self._closed:
                return replace(ticket, counted=False)
            outcome = self._attempt(
                "admitting connections without counting them",
                lambda: self._admit(ticket, limit),
            )
        return replace(ticket, counted=False) if outcome is None else outcome

    def release(self, ticket: Ticket) -> None:
        if not ticket.counted:
            return
        with self._lock:
            self._unreleased.add(ticket.id)
            if not self._closed:
                self._attempt(
                    "a closed connection may count until this worker restarts",
                    self._delete_unreleased,
                )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._db is not None:
                self._db.close()
                self._db = None

    # --- inside the lock

    def _attempt(self, consequence: str, action: Callable[[], _T]) -> _T | None:
        """``action()``'s result, or None after a SQLite error (one warning per outage)."""
        try:
            result = action()
        except sqlite3.Error as error:
            if not self._failing:
                self._failing = True
                logger.warning("shared connection count failed (%s); %s", error, consequence)
            return None
        if self._failing:
            self._failing = False
            logger.info("shared connection count works again")
        return result

    def _admit(self, ticket: Ticket, limit: Limit) -> Ticket | Refusal:
        pending = list(self._unreleased)
        with self._transaction() as db:
            self._delete(db, pending)
            refusal = self._refusal(db, ticket, limit)
            if refusal is None:
                db.execute(
                    "INSERT INTO open_connections (id, protocol, address, worker) "
                    "VALUES (?, ?, ?, ?)",
                    [ticket.id, ticket.protocol, ticket.address, self.worker],
                )
        self._unreleased.difference_update(pending)
        return ticket if refusal is None else refusal

    @staticmethod
    def _refusal(db: sqlite3.Connection, ticket: Ticket, limit: Limit) -> Refusal | None:
        if limit.total is not None:
            (total,) = db.execute(
                "SELECT COUNT(*) FROM open_connections WHERE protocol = ?", [ticket.protocol]
            ).fetchone()
            if total >= limit.total:
                return Refusal.TOTAL
        (same,) = db.execute(
            "SELECT COUNT(*) FROM open_connections WHERE protocol = ? AND address = ?",
            [ticket.protocol, ticket.address],
        ).fetchone()
        return Refusal.ADDRESS if same >= limit.per_address else None

    def _delete_unreleased(self) -> None:
        pending = list(self._unreleased)
        with self._transaction() as db:
            self._delete(db, pending)
        self._unreleased.difference_update(pending)

    @staticmethod
    def _delete(db: sqlite3.Connection, ids: list[str]) -> None:
        db.executemany("DELETE FROM open_connections WHERE id = ?", [(i,) for i in ids])

    def _clear_own(self) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM open_connections WHERE worker = ?", [self.worker])

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return immediate_transaction(self._connection())

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            db = connect_shared(self.path, busy_timeout_s=self.busy_timeout_s, schema=SCHEMA)
            # The file is emptied at every start: losing it to a power cut costs nothing.
            db.execute("PRAGMA synchronous=OFF")
            self._db = db
        return self._db
