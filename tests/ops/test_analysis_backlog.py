"""The analysis backlog (issue 14): status, /metrics and the admin's warning tell the truth."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from core.catalog import atomic
from core.catalog.service_figures import analysis_backlog
from core.catalog.states import JobState
from pipeline.daemon import PipelineDaemon
from tests.ops.test_metrics import scrape_endpoint
from tests.ops.test_status_command import _status

pytestmark = pytest.mark.both_engines


def _seconds_ago(age_s: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=age_s)).isoformat(timespec="seconds")


def _visible_waiting_and_analysed(catalog, make_camera, store_recording) -> None:
    """Two clips waiting for labels (visible 10 and 400 s ago), three analysed in the last
    minutes and one analysed an hour ago (outside the drain-rate window)."""
    camera = make_camera()
    waits = {"analysing": (10, 400), "analysed": (30, 60, 120, 3600)}
    for state, ages in waits.items():
        for age_s in ages:
            recording = store_recording(camera, timedelta(seconds=age_s))
            with atomic(catalog):
                catalog.execute(
                    "UPDATE jobs SET state = ?, updated_at = ? WHERE id = ?",
                    [state, _seconds_ago(age_s), recording["job_id"]],
                )


def test_backlog_counts_waiting_clips_the_oldest_wait_and_the_drain_rate(
    catalog, make_camera, store_recording
):
    assert analysis_backlog(catalog) == {
        "waiting": 0,
        "oldest_wait_s": None,
        "analysed_per_min": 0.0,
        "window_min": 5,
    }
    _visible_waiting_and_analysed(catalog, make_camera, store_recording)

    backlog = analysis_backlog(catalog)

    assert backlog["waiting"] == 2
    assert 399 <= backlog["oldest_wait_s"] <= 410
    assert backlog["analysed_per_min"] == 0.6  # 3 in the last 5 minutes


def test_status_and_metrics_show_the_backlog(
    catalog, settings, config_file, make_camera, store_recording
):
    _visible_waiting_and_analysed(catalog, make_camera, store_recording)

    figures = json.loads(_status(config_file, "--json"))
    assert figures["queue"]["waiting"]["analysing"] == 2
    assert figures["queue"]["analysis"]["waiting"] == 2
    assert "analysis:  2 clips waiting for labels, oldest 40" in _status(config_file)

    samples = scrape_endpoint(settings)
    assert samples[("alarmvault_analysis_backlog", ())] == 2
    assert samples[("alarmvault_analysis_backlog_oldest_seconds", ())] >= 399
    assert samples[("alarmvault_analysis_drain_per_minute", ())] == 0.6
    assert samples[("alarmvault_queue_depth", (("state", "analysing"),))] == 2
    assert ("alarmvault_queue_depth", (("state", "analysed"),)) not in samples


def test_daemon_warns_once_when_the_oldest_waiting_clip_passes_the_threshold(
    catalog, settings, make_camera, store_recording, caplog
):
    settings.pipeline.analysis_backlog_warn_s = 300
    daemon = PipelineDaemon(settings)
    _visible_waiting_and_analysed(catalog, make_camera, store_recording)

    with caplog.at_level(logging.INFO, logger="pipeline.daemon"):
        daemon.watch_analysis_backlog(catalog)
        daemon.watch_analysis_backlog(catalog)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "2 clips wait for labels, the oldest for 40" in warnings[0].getMessage()
    assert daemon.analysis_waiting.is_set(), "the workers are woken for the waiting clips"

    # Caught up: said once, and the warning is armed again.
    with atomic(catalog):
        catalog.execute(
            "UPDATE jobs SET state = ? WHERE state = ?", [JobState.ANALYSED, JobState.ANALYSING]
        )
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="pipeline.daemon"):
        daemon.watch_analysis_backlog(catalog)
    assert [r.getMessage() for r in caplog.records] == [
        "analysis caught up: oldest waiting clip 0 s"
    ]
