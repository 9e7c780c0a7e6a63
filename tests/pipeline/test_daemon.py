"""The pipeline daemon as a real process: picks up spooled uploads, survives SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import tomli_w

from core import spool
from core.catalog import Dialect, dialect_of, open_catalog
from core.catalog.detections import set_detection_switches
from core.detection.results import DetectionSwitches
from tests.conftest import MODELS, requires_shared, wait_for


def start_pipeline(config_file, log_path):
    env = {**os.environ, "ALARMVAULT_CONFIG": str(config_file)}
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "pipeline"], env=env, stdout=log, stderr=subprocess.STDOUT
        )


def count(settings, sql):
    db = open_catalog(settings.storage.catalog_path, migrate=False)
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def catalog_is_whole(settings) -> bool:
    """After a kill: a SQLite file passes SQLite's own check, and on either engine every job
    the catalog shows as visible has its recording."""
    db = open_catalog(settings.storage.catalog_path, migrate=False)
    try:
        file_whole = (
            dialect_of(db) is not Dialect.SQLITE
            or db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        )
        orphans = db.execute(
            "SELECT count(*) FROM jobs j WHERE j.state IN ('indexed', 'analysing', 'analysed')"
            " AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.job_id = j.id)"
        ).fetchone()[0]
        return file_whole and orphans == 0
    finally:
        db.close()


def test_daemon_indexes_upload_spooled_while_running(
    settings, config_file, catalog, make_camera, camera_clip, spool_upload, tmp_path
):
    camera = make_camera()
    process = start_pipeline(config_file, tmp_path / "pipeline.log")
    try:
        spool_upload(camera_clip, camera)
        wait_for(lambda: count(settings, "SELECT count(*) FROM recordings") == 1, timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    log = (tmp_path / "pipeline.log").read_text()
    assert "outcome=indexed" in log
    assert camera["owner"]["email"] not in log


@pytest.mark.both_engines
def test_sigkill_while_clips_in_flight_then_restart_indexes_each_exactly_once(
    settings, config_file, catalog, make_camera, camera_clip, spool_upload, tmp_path
):
    camera = make_camera()
    total = 8
    folders = [
        spool_upload(camera_clip, camera, name=f"A20261125_1300{n:02d}.mp4") for n in range(total)
    ]
    log = tmp_path / "pipeline.log"
    for _ in range(3):
        process = start_pipeline(config_file, log)
        # Kill it as soon as it has made progress, mid-stream.
        before = count(settings, "SELECT count(*) FROM jobs")
        try:
            wait_for(
                lambda b=before: (
                    count(settings, "SELECT count(*) FROM jobs") > b
                    or count(settings, "SELECT count(*) FROM recordings") == total
                ),
                timeout=30,
                interval=0.05,
            )
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
    process = start_pipeline(config_file, log)
    try:
        wait_for(lambda: count(settings, "SELECT count(*) FROM recordings") == total, timeout=90)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    assert count(settings, "SELECT count(DISTINCT job_id) FROM recordings") == total
    assert count(settings, "SELECT count(*) FROM jobs WHERE state != 'indexed'") == 0
    assert spool.list_incoming(settings.storage.spool_dir) == []
    assert not any(folder.exists() for folder in folders)
    assert catalog_is_whole(settings)


@pytest.mark.both_engines
def test_sigkill_while_clips_wait_for_analysis_then_restart_analyses_each_exactly_once(
    settings, settings_dict, catalog, make_camera, camera_clip, spool_upload, tmp_path
):
    requires_shared("models", "yolov8n_416x256.onnx")
    settings_dict["detection"] = {"models_dir": str(MODELS)}
    config_file = tmp_path / "detecting.toml"
    config_file.write_bytes(tomli_w.dumps(settings_dict).encode())
    camera = make_camera()
    set_detection_switches(catalog, camera["id"], DetectionSwitches(objects=True))
    total = 6
    for n in range(total):
        spool_upload(camera_clip, camera, name=f"A20261125_1400{n:02d}.mp4")
    log = tmp_path / "pipeline.log"
    for _ in range(2):
        process = start_pipeline(config_file, log)
        before = count(settings, "SELECT count(*) FROM jobs WHERE state = 'analysed'")
        try:
            # Killed while clips are visible and waiting for (or in) analysis.
            wait_for(
                lambda b=before: (
                    count(settings, "SELECT count(*) FROM jobs WHERE state = 'analysed'") > b
                    or count(settings, "SELECT count(*) FROM jobs WHERE state = 'analysed'")
                    == total
                ),
                timeout=60,
                interval=0.05,
            )
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
    process = start_pipeline(config_file, log)
    try:
        wait_for(
            lambda: count(settings, "SELECT count(*) FROM jobs WHERE state = 'analysed'") == total,
            timeout=120,
        )
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    assert count(settings, "SELECT count(DISTINCT job_id) FROM recordings") == total
    assert count(settings, "SELECT count(*) FROM detection_runs") == total
    assert count(settings, "SELECT count(*) FROM jobs WHERE reason IS NOT NULL") == 0
    assert "outcome=analysing" in log.read_text() and "outcome=analysed" in log.read_text()
    assert catalog_is_whole(settings)


@pytest.mark.parametrize("lease_s", [0.5, "ten"])
def test_a_lease_the_heartbeat_cannot_keep_stops_the_pipeline_at_validate_config(tmp_path, lease_s):
    config = tmp_path / "alarmvault.toml"
    config.write_bytes(
        tomli_w.dumps({"storage": {"data_dir": "."}, "pipeline": {"lease_s": lease_s}}).encode()
    )
    result = subprocess.run(
        [sys.executable, "-m", "pipeline", "--config", str(config), "--validate-config"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "lease_s" in result.stderr
