"""Runs the scheduled jobs inside the pipeline daemon (apscheduler, one job at a time).

The catalog remembers when each job last succeeded. At start a job that is overdue (or has
never run) runs once at once, however many runs were missed; the others continue their rhythm
from their last run.

Every pipeline node runs a scheduler. A job runs on one node per interval: the node that
fires first takes the job's catalog-wide lock (`core.catalog.cluster_lock`), and a node whose
turn comes when the job already ran within this interval leaves it out.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import sqlite_utils
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from core.catalog import DATABASE_ERRORS, cluster_lock, open_catalog
from core.catalog.engine import connection_lost
from core.catalog.reconnect import outage_log
from core.catalog.scheduled_runs import last_runs, record_failure, record_run
from core.settings import Settings
from pipeline import CATALOG_SUBJECT
from pipeline.scheduler import catalog_time
from pipeline.scheduler.job_table import ScheduledJob, scheduled_jobs

logger = logging.getLogger(__name__)


def first_run_times(
    jobs: list[ScheduledJob], previous_runs: dict[str, str], now: datetime
) -> dict[str, datetime]:
    """When each job should first run after a start at ``now``."""
    first = {}
    for job in jobs:
        last = previous_runs.get(job.name)
        due = datetime.fromisoformat(last) + timedelta(seconds=job.interval_s) if last else now
        first[job.name] = min(max(due, now), now + timedelta(seconds=job.interval_s))
    return first


def first_runs_summary(first: dict[str, datetime], now: datetime) -> str:
    """``name@time`` per job for the start-up line; a first run on a later day than ``now``
    (a daily job that ran earlier today) shows its date, else it reads as already past."""
    return " ".join(
        f"{name}@{moment:%H:%M:%S}"
        if moment.date() == now.date()
        else f"{name}@{moment:%Y-%m-%dT%H:%M:%S}"
        for name, moment in first.items()
    )


# A run this much of an interval ago counts as this interval's run (schedulers on different
# nodes fire a little apart; one that fires late must not run the job a second time).
SAME_INTERVAL_SHARE = 0.9


def ran_this_interval(last_run_at: str | None, interval_s: float, now: datetime) -> bool:
    if last_run_at is None:
        return False
    since = now - datetime.fromisoformat(last_run_at)
    return since < timedelta(seconds=interval_s * SAME_INTERVAL_SHARE)


def format_summary(summary: dict) -> str:
    return " ".join(f"{key}={value}" for key, value in summary.items())


def run_scheduled_job(
    settings: Settings, job: ScheduledJob, now: datetime | None = None
) -> dict | None:
    """Run ``job`` once on its own catalog connection; log one line and record the run. While
    the catalog is away the run is left out (the outage is told once, with the pipeline's other
    connections) and stays due."""
    now = now or datetime.now(UTC)
    started = time.monotonic()
    try:
        db = open_catalog(
            settings.storage.catalog_path,
            migrate=False,
            pool_size=settings.storage.catalog_pool_size,
        )
    except DATABASE_ERRORS as error:
        outage_log(CATALOG_SUBJECT).lost(error)
        return None
    outage_log(CATALOG_SUBJECT).back()  # the pool lends only a connection that answered
    try:
        with cluster_lock(db, f"scheduled:{job.name}") as ours:
            if not ours or ran_this_interval(last_runs(db).get(job.name), job.interval_s, now):
                logger.debug("scheduled job=%s left out: another node runs it", job.name)
                return None
            return _run_and_record(db, settings, job, now, started)
    except DATABASE_ERRORS as error:
        if not connection_lost(db):
            raise
        outage_log(CATALOG_SUBJECT).lost(error)
        return None
    finally:
        db.close()


def _run_and_record(
    db: sqlite_utils.Database, settings: Settings, job: ScheduledJob, now: datetime, started: float
) -> dict | None:
    try:
        summary = job.run(db, settings, now)
        text = format_summary(summary)
        record_run(db, job.name, catalog_time(now), text)
        logger.info(
            "scheduled job=%s outcome=ok %s ms=%d",
            job.name,
            text,
            (time.monotonic() - started) * 1000,
        )
        return summary
    except Exception as error:
        if connection_lost(db):
            raise  # not the job's failure: the catalog went away
        # The scheduler thread must survive a failing job; the run stays due for next time.
        logger.exception("scheduled job=%s outcome=failed", job.name)
        record_failure(db, job.name, catalog_time(now), type(error).__name__)
        return None


class JobScheduler:
    """The scheduled jobs on apscheduler's background thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.jobs = scheduled_jobs(settings)
        self._scheduler: BackgroundScheduler | None = None

    def start(self) -> None:
        now = datetime.now(UTC)
        db = open_catalog(self.settings.storage.catalog_path, migrate=False)
        try:
            first = first_run_times(self.jobs, last_runs(db), now)
        finally:
            db.close()
        # One worker: jobs never race each other for the catalog's write lock or the same rows.
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        for job in self.jobs:
            scheduler.add_job(
                run_scheduled_job,
                IntervalTrigger(seconds=job.interval_s, start_date=first[job.name], timezone=UTC),
                args=[self.settings, job],
                id=job.name,
                next_run_time=first[job.name],
            )
        # apscheduler logs three INFO lines per run; our one line per job says more.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        scheduler.start()
        self._scheduler = scheduler
        logger.info("scheduler started: %s", first_runs_summary(first, now))

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
            self._scheduler = None
