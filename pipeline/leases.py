"""The daemon's lease heartbeat: a live worker never loses the clip it works on.

A claim on a job holds for ``[pipeline] lease_s`` (`core.catalog.jobs`). One stage of a clip
may take longer than that (detection of a long clip on a busy node), so the lease is not renewed
between stages but by one thread per daemon: every third of the lease it extends, in one write,
the leases of the workers that hold a clip at that moment (none: no write). A daemon that dies
(SIGKILL, power) stops renewing, and its clips go to another node's workers once their leases
ran out; one that was only paused past its lease finds the clip gone when it writes (fencing,
`core.catalog.errors.ClaimLost`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

from core.catalog.jobs import renew_leases
from core.catalog.reconnect import ReconnectingCatalog, reconnecting_catalog
from core.settings import Settings
from pipeline import CATALOG_SUBJECT

logger = logging.getLogger(__name__)


class LeaseHeartbeat:
    def __init__(self, settings: Settings, stop_event: threading.Event) -> None:
        self.settings = settings
        self.lease_s = settings.pipeline.lease_s
        self.stop_event = stop_event
        self._holders: set[str] = set()
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def holding(self, worker_id: str) -> Iterator[None]:
        """While inside, ``worker_id`` may hold a claim and its lease is kept."""
        with self._lock:
            self._holders.add(worker_id)
        try:
            yield
        finally:
            with self._lock:
                self._holders.discard(worker_id)

    def holders(self) -> list[str]:
        with self._lock:
            return sorted(self._holders)

    def run(self) -> None:
        """The heartbeat thread's loop, until the daemon stops."""
        catalog = reconnecting_catalog(self.settings.storage.catalog_path, CATALOG_SUBJECT)
        try:
            while not self.stop_event.wait(self.lease_s / 3):
                self.beat(catalog)
        finally:
            catalog.close()

    def beat(self, catalog: ReconnectingCatalog) -> int:
        """Extend the leases of the clips held now; how many were extended."""
        workers = self.holders()
        if not workers:
            return 0
        try:
            return renew_leases(catalog.connection(), workers, self.lease_s)
        except Exception as error:
            # The next beat tries again, well within the lease (a third of it has passed); a
            # catalog that went away is told once, and the connection opened again.
            if not catalog.lost(error):
                logger.exception("lease heartbeat failed for %s", ", ".join(workers))
            return 0
