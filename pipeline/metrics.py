"""The Prometheus endpoint of the pipeline daemon (``[metrics] enabled``, off by default).

Figures are read from the catalog on every scrape rather than counted in this process, so what
ingestd and the web UI wrote is visible too, and a restart loses nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from wsgiref.simple_server import WSGIServer

from prometheus_client import start_http_server
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.registry import Collector, CollectorRegistry

from core.catalog import open_catalog
from core.catalog.jobs import DONE_STATES, count_jobs_by_state
from core.catalog.scheduled_runs import last_runs
from core.catalog.service_figures import (
    analysis_backlog,
    clip_counts,
    detector_speed,
    fair_use_states,
    processing_seconds,
    recordings_total,
)
from core.settings import Settings
from core.storage_space import storage_spaces

logger = logging.getLogger(__name__)


class CatalogCollector(Collector):
    """Turns the catalog's figures into metrics at scrape time."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def collect(self) -> Iterator[Metric]:
        storage = self.settings.storage
        db = open_catalog(storage.catalog_path, migrate=False, pool_size=storage.catalog_pool_size)
        try:
            yield from self._clips(db)
            yield from self._queue(db)
            yield from self._storage(db)
            yield from self._schedule(db)
        finally:
            db.close()

    def _clips(self, db) -> Iterator[Metric]:
        counts = clip_counts(db)
        yield CounterMetricFamily(
            "alarmvault_clips_received", "Uploads handed to the pipeline.", value=counts["received"]
        )
        yield CounterMetricFamily(
            "alarmvault_clips_accepted", "Uploads indexed as recordings.", value=counts["accepted"]
        )
        rejected = CounterMetricFamily(
            "alarmvault_clips_rejected", "Uploads rejected, by reason.", labels=["reason"]
        )
        for reason, count in counts["rejected"].items():
            rejected.add_metric([reason], count)
        yield rejected
        timing = processing_seconds(db)
        yield SummaryMetricFamily(
            "alarmvault_processing_seconds",
            "Seconds from a completed upload to its indexed recording.",
            count_value=timing["count"],
            sum_value=timing["sum"],
        )
        speed = detector_speed(db)
        if speed is not None:
            yield GaugeMetricFamily(
                "alarmvault_analysis_ms_per_clip",
                "Mean detection milliseconds per clip over recent clips.",
                value=speed["ms_per_clip"],
            )
            if speed["ms_per_detector_run"] is not None:
                yield GaugeMetricFamily(
                    "alarmvault_detector_ms",
                    "Detection milliseconds per detector run over recent clips (decode included).",
                    value=speed["ms_per_detector_run"],
                )

    def _queue(self, db) -> Iterator[Metric]:
        depth = GaugeMetricFamily(
            "alarmvault_queue_depth", "Jobs not finished, by state.", labels=["state"]
        )
        for state, count in sorted(count_jobs_by_state(db).items()):
            if state not in DONE_STATES:
                depth.add_metric([state], count)
        yield depth
        yield from self._analysis_backlog(db)
        cameras = GaugeMetricFamily(
            "alarmvault_cameras", "Cameras by fair-use state.", labels=["fairuse_state"]
        )
        for state, count in fair_use_states(db)["counts"].items():
            cameras.add_metric([state], count)
        yield cameras

    def _analysis_backlog(self, db) -> Iterator[Metric]:
        backlog = analysis_backlog(db)
        yield GaugeMetricFamily(
            "alarmvault_analysis_backlog",
            "Clips visible but still waiting for detection.",
            value=backlog["waiting"],
        )
        yield GaugeMetricFamily(
            "alarmvault_analysis_backlog_oldest_seconds",
            "How long the oldest clip waiting for detection has waited (0: none waits).",
            value=backlog["oldest_wait_s"] or 0.0,
        )
        yield GaugeMetricFamily(
            "alarmvault_analysis_drain_per_minute",
            f"Clips analysed per minute over the last {backlog['window_min']} minutes.",
            value=backlog["analysed_per_min"],
        )

    def _storage(self, db) -> Iterator[Metric]:
        usage = GaugeMetricFamily(
            "alarmvault_disk_bytes",
            "The file systems of the data folder (area=data) and of a media folder elsewhere "
            "(area=media; none for an object store).",
            labels=["area", "kind"],
        )
        for space in storage_spaces(self.settings.storage):
            if space.free_bytes is None:
                continue  # an object store, or a folder that cannot be read: no figure
            usage.add_metric([space.area, "total"], space.total_bytes or 0)
            usage.add_metric([space.area, "used"], space.used_bytes or 0)
            usage.add_metric([space.area, "free"], space.free_bytes)
        yield usage
        recordings = recordings_total(db)
        yield GaugeMetricFamily(
            "alarmvault_recordings_bytes", "Bytes of stored recordings.", value=recordings["bytes"]
        )
        yield GaugeMetricFamily(
            "alarmvault_recordings", "Stored recordings.", value=recordings["count"]
        )

    def _schedule(self, db) -> Iterator[Metric]:
        last_run = GaugeMetricFamily(
            "alarmvault_scheduled_job_last_run_timestamp_seconds",
            "When each scheduled job last succeeded.",
            labels=["job"],
        )
        for job, at in sorted(last_runs(db).items()):
            last_run.add_metric([job], datetime.fromisoformat(at).timestamp())
        yield last_run


class MetricsEndpoint:
    """The HTTP server for /metrics on ``[metrics] listen``, in a daemon thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(CatalogCollector(settings))
        self._server: WSGIServer | None = None

    def start(self) -> tuple[str, int]:
        host, port = self.settings.metrics.address
        self._server, _thread = start_http_server(port, addr=host, registry=self.registry)
        bound_host, bound_port = self._server.server_address[:2]
        # An AF_INET/AF_INET6 server's address always carries the host as text.
        assert isinstance(bound_host, str)
        logger.info("metrics served on %s:%d", bound_host, bound_port)
        return bound_host, bound_port

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
