"""The scheduler: each run recorded and logged in one line; a missed run caught up once."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest
import tomli_w

from core.catalog.scheduled_runs import last_runs, list_scheduled_runs, record_run
from core.settings import settings_from_dict
from pipeline.scheduler import catalog_time
from pipeline.scheduler.job_table import ScheduledJob, scheduled_jobs
from pipeline.scheduler.runner import first_run_times, first_runs_summary, run_scheduled_job
from tests.ops.conftest import NOW
from tests.ops.processes import DaemonProcess

pytestmark = pytest.mark.both_engines

HOUR = 3600


def _job(name: str, interval_s: int = HOUR) -> ScheduledJob:
    return ScheduledJob(name, lambda db, settings, now: {"did": 1}, interval_s)


def test_overdue_job_runs_once_at_start_however_many_runs_were_missed():
    jobs = [_job("never"), _job("missed_many"), _job("recent"), _job("future")]
    previous = {
        "missed_many": catalog_time(NOW - timedelta(hours=50)),
        "recent": catalog_time(NOW - timedelta(minutes=20)),
        # Clock turned back: never wait longer than one interval.
        "future": catalog_time(NOW + timedelta(days=3)),
    }
    first = first_run_times(jobs, previous, NOW)
    assert first == {
        "never": NOW,
        "missed_many": NOW,
        "recent": NOW + timedelta(minutes=40),
        "future": NOW + timedelta(hours=1),
    }


def test_the_start_up_line_dates_a_first_run_on_a_later_day():
    daily = _job("daily", 24 * HOUR)
    ran_an_hour_ago = {"daily": catalog_time(NOW - timedelta(hours=1))}
    first = first_run_times([daily, _job("never")], ran_an_hour_ago, NOW)
    tomorrow = NOW + timedelta(hours=23)
    assert first_runs_summary(first, NOW) == (
        f"daily@{tomorrow:%Y-%m-%dT%H:%M:%S} never@{NOW:%H:%M:%S}"
    )


def test_a_run_is_recorded_and_logged_in_one_line(catalog, settings, caplog):
    caplog.set_level(logging.INFO, logger="pipeline.scheduler.runner")
    summary = run_scheduled_job(settings, _job("example"), NOW)
    assert summary == {"did": 1}
    assert last_runs(catalog) == {"example": catalog_time(NOW)}
    lines = [r.getMessage() for r in caplog.records if "scheduled job=" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].startswith("scheduled job=example outcome=ok did=1 ms=")


def test_a_failing_job_stays_due_and_its_error_is_recorded(catalog, settings, caplog):
    def broken(db, settings, now):
        raise RuntimeError("disk on fire")

    record_run(catalog, "broken", catalog_time(NOW - timedelta(days=2)), "ok")
    with caplog.at_level(logging.ERROR):
        assert run_scheduled_job(settings, ScheduledJob("broken", broken, HOUR), NOW) is None
    (row,) = list_scheduled_runs(catalog)
    assert row["last_run_at"] == catalog_time(NOW - timedelta(days=2))
    assert row["last_error"] == "RuntimeError" and row["last_error_at"] == catalog_time(NOW)
    assert "scheduled job=broken outcome=failed" in caplog.text


def test_every_job_is_scheduled_at_its_configured_interval(settings):
    settings.schedule.upkeep_interval_s = 7200
    jobs = {job.name: job for job in scheduled_jobs(settings)}
    assert set(jobs) == {
        "retention_by_days",
        "retention_by_quota",
        "upload_records",
        "inactive_accounts",
        "expire_quarantine",
        "release_delayed",
        "fair_use",
        "storage_statistics",
        "database_upkeep",
    }
    assert jobs["database_upkeep"].interval_s == 7200


def test_missed_run_is_caught_up_once_after_a_restart(catalog, settings_dict, tmp_path):
    """A real daemon: overdue jobs run once at start, a recent one waits; after a restart
    nothing that has just run runs again."""
    settings_dict["schedule"] = {"storage_stats_interval_s": 600, "upkeep_interval_s": 600}
    config = tmp_path / "alarmvault.toml"
    config.write_bytes(tomli_w.dumps(settings_dict).encode())
    now = datetime.now(UTC)
    record_run(catalog, "storage_statistics", catalog_time(now - timedelta(hours=5)), "old")
    record_run(catalog, "database_upkeep", catalog_time(now - timedelta(seconds=30)), "recent")
    names = [job.name for job in scheduled_jobs(settings_from_dict(settings_dict, tmp_path))]

    first = DaemonProcess(config, tmp_path / "first.log")
    try:
        first.wait_for(
            lambda: all(
                f"scheduled job={name} " in first.text()
                for name in names
                if name != "database_upkeep"
            )
        )
    finally:
        assert first.stop() == 0
    log = first.text()
    assert log.count("scheduled job=storage_statistics outcome=ok") == 1
    assert "scheduled job=database_upkeep" not in log
    runs = last_runs(catalog)
    assert datetime.fromisoformat(runs["storage_statistics"]) >= now - timedelta(seconds=1)
    assert runs["database_upkeep"] == catalog_time(now - timedelta(seconds=30))

    second = DaemonProcess(config, tmp_path / "second.log")
    try:
        second.wait_for(lambda: "scheduler started" in second.text())
        # Due jobs are handed to the worker at once; give it a moment to prove none is due.
        second.wait_for(lambda: "pipeline started" in second.text())
        time.sleep(1.5)
    finally:
        assert second.stop() == 0
    assert "scheduled job=" not in second.text()
    assert last_runs(catalog) == runs
