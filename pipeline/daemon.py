"""The pipeline daemon: finds completed uploads in the spool and processes them.

Two queues, each served by ``[pipeline] workers`` threads (one per core by default), each thread
with its own isolated media process (`MediaWorker`):

- the **index** queue of upload folders: receive -> check -> index, cheap, so a clip is visible
  seconds after its upload. Fed by a rescan at start (uploads that came while we were down, or
  that a crash left half-done), watchdog events on ``spool/incoming``, and a periodic rescan as
  a fallback for filesystems without inotify (NAS shares);
- the **analysis** queue: the jobs in ``analysing`` in the catalog, oldest first (so none is
  starved, and it survives a restart as it is). Its media processes run at a lower CPU priority
  (``analysis_nice``): analysis gets every core the index work leaves idle, and a fresh upload
  never waits behind a backlog of analyses.

Catalog writes happen here, in the workers' threads; pixels only in the media processes.
A worker claims the clip it works on; one heartbeat thread (`LeaseHeartbeat`) keeps the leases
of the clips the workers hold, however long a stage takes.

Each thread keeps its own catalog connection for as long as the daemon runs, opened again after
it was lost (`ReconnectingCatalog`: PostgreSQL restarted, failed over, or ended a session left
idle inside a transaction): the outage is logged once, the threads wait for the catalog with a
back-off, and an upload cut off by it is taken up again by its worker once the catalog
answers, its job neither failed nor rejected.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from pathlib import Path

import sqlite_utils
from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from core import spool
from core.catalog import open_catalog
from core.catalog.detections import any_camera_detects
from core.catalog.jobs import claim_next_job, release_claims_of
from core.catalog.reconnect import ReconnectingCatalog, reconnecting_catalog
from core.catalog.service_figures import analysis_backlog
from core.catalog.states import JobState
from core.clipstore import ClipStore
from core.settings import Settings
from pipeline import CATALOG_SUBJECT
from pipeline.clip_media import MediaFailed
from pipeline.integrations.dispatcher import NotificationDispatcher
from pipeline.leases import LeaseHeartbeat
from pipeline.media_worker import MediaWorker
from pipeline.metrics import MetricsEndpoint
from pipeline.processor import ClipProcessor
from pipeline.scheduler.runner import JobScheduler

logger = logging.getLogger(__name__)

# Outcomes after which the notification dispatcher has something new to look at.
NOTIFY_AFTER = frozenset({JobState.INDEXED, JobState.ANALYSING, JobState.ANALYSED})


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
        self.queue: queue.Queue[Path] = queue.Queue()  # the index queue
        # Set while the catalog may hold clips waiting for analysis.
        self.analysis_waiting = threading.Event()
        self._backlog_warned = False
        self._queued: set[str] = set()
        self._queued_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._observer: BaseObserver | None = None
        self._scheduler: JobScheduler | None = None
        self._metrics: MetricsEndpoint | None = None
        self._notifications: NotificationDispatcher | None = None
        self.worker_prefix = f"pipeline@{settings.pipeline.node_name}:"
        self.leases = LeaseHeartbeat(settings, self.stop_event)

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
        adopted = ClipStore(self.settings.storage).adopt_node_quarantine()
        if adopted:
            logger.info("moved %d quarantined clips from this node into the media store", adopted)

    def start_catalog(self) -> None:
        db = open_catalog(self.settings.storage.catalog_path)
        # Claims of this host's earlier run are stale: that process is gone.
        released = release_claims_of(db, self.worker_prefix)
        if released:
            logger.info("released %d job claims left by a previous run", released)
        db.close()

    def start_workers(self) -> None:
        self.analysis_waiting.set()  # a previous run may have left clips waiting
        self._start_thread("leases", self.leases.run)
        for number in range(self.settings.pipeline.worker_count):
            self._start_thread(f"index-{number}", self._index_work, f"{self.worker_prefix}{number}")
            self._start_thread(
                f"analysis-{number}", self._analysis_work, f"{self.worker_prefix}a{number}"
            )

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
        catalog = self._catalog()
        try:
            while not self.stop_event.wait(self.settings.pipeline.poll_interval_s):
                self.rescan()
                try:
                    self.watch_analysis_backlog(catalog.connection())
                except Exception as error:
                    if not catalog.lost(error):
                        logger.exception("the analysis backlog could not be looked at")
        finally:
            catalog.close()

    def watch_analysis_backlog(self, db: sqlite_utils.Database) -> None:
        """Wake the workers for clips waiting for analysis, and warn once when the oldest has
        waited past ``analysis_backlog_warn_s`` (again only after the backlog recovered)."""
        backlog = analysis_backlog(db)
        if backlog["waiting"]:
            self.analysis_waiting.set()
        oldest = backlog["oldest_wait_s"] or 0.0
        limit = self.settings.pipeline.analysis_backlog_warn_s
        if oldest > limit and not self._backlog_warned:
            self._backlog_warned = True
            logger.warning(
                "analysis is behind: %d clips wait for labels, the oldest for %.0f s "
                "(%.1f analysed/min); they are visible, their labels and notifications come late",
                backlog["waiting"],
                oldest,
                backlog["analysed_per_min"],
            )
        elif oldest <= limit and self._backlog_warned:
            self._backlog_warned = False
            logger.info("analysis caught up: oldest waiting clip %.0f s", oldest)

    def _catalog(self) -> ReconnectingCatalog:
        """A catalog connection for one of the daemon's threads, for as long as it runs: opened
        again after PostgreSQL restarted, failed over or ended the session."""
        return reconnecting_catalog(self.settings.storage.catalog_path, CATALOG_SUBJECT)

    def _index_work(self, worker_id: str) -> None:
        catalog = self._catalog()
        db = catalog.wait(self.stop_event)
        if db is None:
            return
        media = MediaWorker(self.settings, name=worker_id)
        processor = ClipProcessor(self.settings, db, worker_id, media=media)
        try:
            while not self.stop_event.is_set():
                try:
                    folder = self.queue.get(timeout=0.5)
                except queue.Empty:
                    continue
                outcome = self._index_one(catalog, processor, folder)
                if outcome == JobState.ANALYSING:
                    self.analysis_waiting.set()
                self._notify(outcome)
        finally:
            media.close()
            catalog.close()

    def _index_one(
        self, catalog: ReconnectingCatalog, processor: ClipProcessor, folder: Path
    ) -> JobState | None:
        """`ClipProcessor.process` the upload in ``folder`` once the catalog answers. One cut
        off by a lost catalog connection is taken up again by this worker (which still holds
        its claim) as soon as the catalog answers again; one that failed otherwise stays in
        the spool for the next rescan."""
        try:
            while (db := catalog.wait(self.stop_event)) is not None:
                processor.use_catalog(db)
                try:
                    with self.leases.holding(processor.worker_id):
                        return processor.process(folder)
                except Exception as error:
                    if not catalog.lost(error):
                        logger.exception("%s: upload %s failed", processor.worker_id, folder.name)
                        return None
            return None  # stopping: the upload waits in the spool for the next start
        finally:
            with self._queued_lock:
                self._queued.discard(folder.name)

    def _analysis_work(self, worker_id: str) -> None:
        catalog = self._catalog()
        db = catalog.wait(self.stop_event)
        if db is None:
            return
        media = MediaWorker(
            self.settings, name=worker_id, nice=self.settings.pipeline.analysis_nice
        )
        processor = ClipProcessor(self.settings, db, worker_id, media=media)
        try:
            self._load_models(db, media)
            while not self.stop_event.is_set():
                if not self.analysis_waiting.wait(timeout=0.5):
                    continue
                db = catalog.wait(self.stop_event)
                if db is None:
                    break
                processor.use_catalog(db)
                try:
                    self._analyse_next(processor)
                except Exception as error:
                    if catalog.lost(error):
                        # The clip it held waits, claimed by this worker, which takes it again.
                        self.analysis_waiting.set()
                        continue
                    # A catalog error outside a clip's analysis: this worker must live on.
                    logger.exception("%s: analysis pass failed", worker_id)
                    self.stop_event.wait(1.0)
        finally:
            media.close()
            catalog.close()

    def _analyse_next(self, processor: ClipProcessor) -> None:
        """Analyse the longest-waiting clip no other worker holds, if any."""
        pause_s = processor.space_pause_s()
        if pause_s > 0:
            # A clip found the store full a moment ago: claim nothing until the pause is
            # over rather than spin through the queue (the clips wait, unclaimed).
            self.stop_event.wait(pause_s)
            return
        # Cleared before looking, so a clip indexed meanwhile sets it again and is not missed.
        self.analysis_waiting.clear()
        with self.leases.holding(processor.worker_id):
            job = claim_next_job(
                processor.db, processor.worker_id, JobState.ANALYSING, processor.lease_s
            )
            if job is None:
                return
            self.analysis_waiting.set()  # there may be more behind this one
            outcome = processor.analyse_claimed(job["id"])
        if outcome is not None:
            self._notify(outcome)

    def _notify(self, outcome: JobState | None) -> None:
        """Stage 5: the notification dispatcher looks at new recordings and new labels."""
        if outcome in NOTIFY_AFTER and self._notifications is not None:
            self._notifications.wake()

    def _load_models(self, db: sqlite_utils.Database, media: MediaWorker) -> None:
        """Load the detection models in the worker's process now, not with the first clip."""
        if not any_camera_detects(db):
            return
        try:
            media.load_models(plates=any_camera_detects(db, "plates"))
        except MediaFailed as failed:
            logger.error("detection models did not load: %s", failed)

    def _start_thread(self, name: str, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def wait(self) -> None:
        while not self.stop_event.wait(1.0):
            pass
