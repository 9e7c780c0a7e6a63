"""The pipeline daemon: finds completed uploads in the spool and processes them.

Sources of work, all feeding one queue of upload folders: a rescan at start (uploads that came
while we were down, or that a crash left half-done), watchdog events on ``spool/incoming``, and a
periodic rescan as a fallback for filesystems without inotify (NAS shares).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from core import spool
from core.catalog import open_catalog
from core.catalog.jobs import release_claims_of
from core.catalog.states import JobState
from core.settings import Settings
from pipeline.integrations.dispatcher import NotificationDispatcher
from pipeline.media.probe_worker import IsolatedProbe
from pipeline.metrics import MetricsEndpoint
from pipeline.processor import ClipProcessor
from pipeline.scheduler.runner import JobScheduler

logger = logging.getLogger(__name__)


class SpoolEventHandler(FileSystemEventHandler):
    """Queues an upload folder when ingestd renames it into ``incoming``."""

    def __init__(self, incoming: Path, enqueue) -> None:
        self.incoming = incoming
        self.enqueue = enqueue

    def on_moved(self, event: FileSystemEvent) -> None:
        self._maybe_enqueue(Path(os.fsdecode(event.dest_path)))

    def on_created(self, event: FileSystemEvent) -> None:
        self._maybe_enqueue(Path(os.fsdecode(event.src_path)))

    def _maybe_enqueue(self, path: Path) -> None:
        if path.parent == self.incoming:
            self.enqueue(path)


class PipelineDaemon:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stop_event = threading.Event()
        self.queue: queue.Queue[Path] = queue.Queue()
        self._queued: set[str] = set()
        self._queued_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._observer: BaseObserver | None = None
        self._scheduler: JobScheduler | None = None
        self._metrics: MetricsEndpoint | None = None
        self._notifications: NotificationDispatcher | None = None
        self.worker_prefix = f"pipeline@{os.uname().nodename}:"

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        self.start_spool()
        self.start_catalog()
        self.start_workers()
        self.start_watcher()
        self.start_rescan()
        self.start_scheduler()
        self.start_metrics()
        self.start_notifications()

    def stop(self) -> None:
        self.stop_event.set()
        if self._notifications is not None:
            self._notifications.stop()
        if self._metrics is not None:
            self._metrics.stop()
        if self._scheduler is not None:
            self._scheduler.stop()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
        for thread in self._threads:
            thread.join(timeout=30)
        logger.info("pipeline stopped")

    def start_spool(self) -> None:
        spool.ensure_spool(self.settings.storage.spool_dir)

    def start_catalog(self) -> None:
        db = open_catalog(self.settings.storage.catalog_path)
        # Claims of this host's earlier run are stale: that process is gone.
        released = release_claims_of(db, self.worker_prefix)
        if released:
            logger.info("released %d job claims left by a previous run", released)
        db.close()

    def start_workers(self) -> None:
        for number in range(self.settings.pipeline.workers):
            self._start_thread(f"worker-{number}", self._work, f"{self.worker_prefix}{number}")

    def start_watcher(self) -> None:
        incoming = self.settings.storage.incoming_dir.resolve()
        observer = Observer()
        observer.schedule(SpoolEventHandler(incoming, self.enqueue), str(incoming))
        observer.daemon = True
        observer.start()
        self._observer = observer

    def start_rescan(self) -> None:
        self.rescan()
        self._start_thread("rescan", self._rescan_loop)

    def start_scheduler(self) -> None:
        if self.settings.schedule.enabled:
            self._scheduler = JobScheduler(self.settings)
            self._scheduler.start()

    def start_metrics(self) -> None:
        if self.settings.metrics.enabled:
            self._metrics = MetricsEndpoint(self.settings)
            self._metrics.start()

    def start_notifications(self) -> None:
        """Webhooks, MQTT and mails about new recordings and fair-use notices."""
        if self.settings.notifications.enabled:
            self._notifications = NotificationDispatcher(self.settings)
            self._notifications.start()

    # -- work ------------------------------------------------------------------------------
    def enqueue(self, folder: Path) -> None:
        with self._queued_lock:
            if folder.name in self._queued:
                return
            self._queued.add(folder.name)
        self.queue.put(folder)

    def rescan(self) -> int:
        folders = spool.list_incoming(self.settings.storage.spool_dir)
        for folder in folders:
            self.enqueue(folder)
        return len(folders)

    def _rescan_loop(self) -> None:
        while not self.stop_event.wait(self.settings.pipeline.poll_interval_s):
            self.rescan()

    def _work(self, worker_id: str) -> None:
        db = open_catalog(self.settings.storage.catalog_path, migrate=False)
        prober = IsolatedProbe(timeout_s=self.settings.validation.probe_timeout_s)
        processor = ClipProcessor(self.settings, db, worker_id, prober=prober.probe)
        try:
            while not self.stop_event.is_set():
                try:
                    folder = self.queue.get(timeout=0.5)
                except queue.Empty:
                    continue
                try:
                    outcome = processor.process(folder)
                    if outcome == JobState.INDEXED and self._notifications is not None:
                        self._notifications.wake()
                finally:
                    with self._queued_lock:
                        self._queued.discard(folder.name)
        finally:
            prober.close()
            db.close()

    def _start_thread(self, name: str, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def wait(self) -> None:
        while not self.stop_event.wait(1.0):
            pass
