"""Long-lived catalog connections that come back by themselves after the catalog went away.

A service thread that keeps one catalog connection for its whole life (a pipeline worker, the
lease heartbeat, an ingestd login thread, the shared limits) would be cut off for good when
PostgreSQL restarts, fails over or ends its session (`connection_lost`). `ReconnectingCatalog`
is such a connection: once it was lost, the next use opens a new one. While the server is down
an attempt is made at most once per back-off (doubling from `RETRY_FIRST_S` up to
`RETRY_MAX_S`, at least four times as long as the failed attempt took); in between
`CatalogUnavailable` is raised at once, so no thread spins on a dead server and none stalls a
caller that waits (a camera's login) with an attempt of its own. A connection the server closed
while it sat idle (`server_hung_up`) is replaced before it is handed out, so the first caller
after a restart is served, not refused. `wait` is for a worker with
nothing better to do: it sleeps out the back-off until the catalog answers or it is stopped.

An outage is told once per process and subject (`OutageLog`): one WARNING when the first
connection finds the catalog gone, one INFO when one connects again, however many threads
notice in between. A SQLite catalog is a file, never lost: nothing here changes how it is used.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from functools import cache, partial
from pathlib import Path

import psycopg
import sqlite_utils

from core.catalog import open_catalog
from core.catalog.engine import DATABASE_ERRORS, connection_lost, error_reason, server_hung_up

__all__ = [
    "RETRY_FIRST_S",
    "RETRY_MAX_S",
    "CatalogUnavailable",
    "OutageLog",
    "ReconnectingCatalog",
    "outage_log",
    "reconnecting_catalog",
]

logger = logging.getLogger(__name__)

# After a failed connection attempt the next waits this long, twice as long after each further
# failure, up to RETRY_MAX_S: a restart (seconds) is noticed at once, a long outage costs an
# attempt every few seconds.
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 5.0
# An attempt that took long (a host that does not answer: the connect timeout) waits at least
# this many times as long before the next, so such attempts stall a thread a fifth of the time.
RETRY_FACTOR_OF_ATTEMPT = 4


class CatalogUnavailable(psycopg.OperationalError):
    """The catalog did not answer a moment ago and is not asked again yet."""


class OutageLog:
    """How a process tells of catalog outages, for one subject (a service, the shared limits):
    one WARNING when the first connection finds the catalog gone, one INFO when it answers
    again. A failure of something older than the end of the last outage (a connection opened
    before it, found lost only now because its thread was idle; an attempt made while the
    server was still down) belongs to that outage, told already."""

    def __init__(self, subject: str) -> None:
        self.subject = subject
        self._lock = threading.Lock()
        self._failing = False
        self._ended_at = float("-inf")  # time.monotonic() when the last outage ended

    def lost(self, reason: BaseException | str, since: float | None = None) -> None:
        """The catalog could not be asked: ``reason``; ``since``: when the connection that
        was found lost was opened, or the failed attempt began (None: a failure of now)."""
        text = error_reason(reason) if isinstance(reason, BaseException) else reason
        with self._lock:
            if self._failing:
                return
            if since is not None and since < self._ended_at:
                logger.debug("%s: belongs to the last outage: %s", self.subject, text)
                return
            self._failing = True
        logger.warning("%s: the catalog cannot be asked: %s", self.subject, text)

    def back(self) -> None:
        """The catalog answered."""
        with self._lock:
            if not self._failing:
                return
            self._failing = False
            self._ended_at = time.monotonic()
        logger.info("%s: the catalog answers again", self.subject)


@cache
def outage_log(subject: str) -> OutageLog:
    """The one `OutageLog` of this process for ``subject`` (a service), shared by all its
    connections."""
    return OutageLog(subject)


def reconnecting_catalog(path: Path | str, subject: str) -> ReconnectingCatalog:
    """A long-lived connection to the catalog at ``path`` for a thread of the ``subject``
    service (its outages told in the service's one `outage_log`)."""
    return ReconnectingCatalog(partial(open_catalog, path, migrate=False), outage_log(subject))


class ReconnectingCatalog:
    """One long-lived catalog connection (``open_connection`` makes one), opened again after it
    was lost; its outages are told in ``outage``. Used by one thread at a time, as any catalog
    connection."""

    def __init__(
        self,
        open_connection: Callable[[], sqlite_utils.Database],
        outage: OutageLog,
        *,
        retry_first_s: float = RETRY_FIRST_S,
        retry_max_s: float = RETRY_MAX_S,
    ) -> None:
        self._open_connection = open_connection
        self.outage = outage
        self.retry_first_s = retry_first_s
        self.retry_max_s = retry_max_s
        self._db: sqlite_utils.Database | None = None
        self._opened_at = 0.0
        self._retry_in_s = retry_first_s
        self._retry_at = 0.0  # time.monotonic() before which no new connection is tried

    def connection(self) -> sqlite_utils.Database:
        """The connection, a new one if the last was lost; `CatalogUnavailable` if the catalog
        cannot be reached (an attempt failed now or a moment ago)."""
        if self._db is not None:
            if not connection_lost(self._db) and not server_hung_up(self._db):
                return self._db
            self._drop("the connection was lost")
        now = time.monotonic()
        if now < self._retry_at:
            raise CatalogUnavailable("the catalog did not answer a moment ago")
        try:
            db = self._open_connection()
        except DATABASE_ERRORS as error:
            took = time.monotonic() - now
            self._retry_at = time.monotonic() + max(
                self._retry_in_s, RETRY_FACTOR_OF_ATTEMPT * took
            )
            self._retry_in_s = min(2 * self._retry_in_s, self.retry_max_s)
            self.outage.lost(error, since=now)
            raise CatalogUnavailable(error_reason(error)) from error
        self._db, self._opened_at = db, time.monotonic()
        self._retry_in_s = self.retry_first_s
        self.outage.back()
        return db

    def wait(self, stop: threading.Event) -> sqlite_utils.Database | None:
        """The connection, waiting out the back-off while the catalog cannot be reached; None
        once ``stop`` is set."""
        while not stop.is_set():
            try:
                return self.connection()
            except CatalogUnavailable:
                stop.wait(max(self._retry_at - time.monotonic(), 0.0))
        return None

    def lost(self, error: BaseException) -> bool:
        """Whether ``error`` means the catalog went away (this connection was lost, or it could
        not be opened): told once per outage, and the next `connection` opens a new one.
        False for any other error (a refused statement, a bug): the caller reports it."""
        if isinstance(error, CatalogUnavailable):
            return True
        if self._db is None or not connection_lost(self._db):
            return False
        self._drop(error)
        return True

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _drop(self, reason: BaseException | str) -> None:
        assert self._db is not None
        self.outage.lost(reason, since=self._opened_at)
        # A broken connection may fail to close; it is gone either way.
        with contextlib.suppress(*DATABASE_ERRORS):
            self._db.close()
        self._db = None
