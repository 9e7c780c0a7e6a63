"""`alarmvault status [--json]`, run as the real command."""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
import tomli_w

from core.catalog import atomic
from core.catalog.jobs import advance_job, register_job
from core.catalog.scheduled_runs import record_run
from core.catalog.states import JobState
from pipeline.scheduler import catalog_time
from pipeline.scheduler.upkeep import storage_statistics
from tests.ops.conftest import NOW, record_detection_run
from tests.ops.processes import REPO

pytestmark = pytest.mark.both_engines

ALARMVAULT = str(REPO / ".venv" / "bin" / "alarmvault")


def _status(config, *options: str) -> str:
    result = subprocess.run(
        [ALARMVAULT, "--config", str(config), "status", *options],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _seed(catalog, settings, make_user, make_camera, store_recording) -> dict:
    owner = make_user("owner@example.com")
    camera = make_camera(owner=owner)
    recording = store_recording(camera, timedelta(minutes=2), size=2048)
    register_job(catalog, {"upload_id": "junk1", "camera_id": camera["id"]})
    advance_job(catalog, "junk1", JobState.REJECTED, reason="not_video")
    register_job(catalog, {"upload_id": "queued1", "camera_id": camera["id"]})
    with atomic(catalog):
        catalog.execute(
            "UPDATE cameras SET fairuse_state = 'throttled' WHERE id = ?", [camera["id"]]
        )
    storage_statistics(catalog, settings, NOW)
    record_run(catalog, "storage_statistics", catalog_time(NOW), "accounts=1")
    return {"camera": camera, "recording": recording}


def test_status_prints_queue_clips_fair_use_disk_and_detector(
    catalog, settings, config_file, make_user, make_camera, store_recording
):
    seeded = _seed(catalog, settings, make_user, make_camera, store_recording)
    camera_id = seeded["camera"]["id"]

    text = _status(config_file)

    assert "queue:     received=1 validated=0" in text
    assert "finished:  analysed=0 indexed=1 rejected=1" in text
    assert f"camera={camera_id}  rejected    reason=not_video" in text
    job_id = seeded["recording"]["job_id"]
    assert f"camera={camera_id}  indexed     reason=-  duration=18.0s  job={job_id}" in text
    assert f"fair use:  throttled=1  camera {camera_id}: throttled;" in text
    assert "recordings: 2.0 KiB in 1 clips" in text
    assert "detector:  n/a" in text
    assert "storage_statistics   last run 2026-11-25T12:00:00+00:00  accounts=1" in text
    assert "owner@example.com" not in text  # ids only


def test_status_json_is_machine_readable(
    catalog, settings, config_file, make_user, make_camera, store_recording
):
    seeded = _seed(catalog, settings, make_user, make_camera, store_recording)

    figures = json.loads(_status(config_file, "--json", "--clips", "2"))

    assert figures["queue"]["open"]["received"] == 1
    assert figures["queue"]["finished"] == {"analysed": 0, "indexed": 1, "rejected": 1}
    assert len(figures["last_clips"]) == 2
    assert figures["fair_use"]["cameras"] == [
        {
            "camera_id": seeded["camera"]["id"],
            "owner_id": seeded["camera"]["owner"]["id"],
            "fairuse_state": "throttled",
        }
    ]
    assert figures["disk"]["recordings"] == {"count": 1, "bytes": 2048}
    assert figures["disk"]["free_bytes"] > 0
    assert figures["detector"] is None
    assert [run["job"] for run in figures["scheduled_jobs"]] == ["storage_statistics"]


def test_status_shows_a_media_folder_on_another_file_system_apart(
    catalog, settings_dict, config_file, small_file_system
):
    Path(settings_dict["storage"]["data_dir"]).mkdir(exist_ok=True)  # made by SQLite, not PG
    settings_dict["storage"]["media"] = str(small_file_system.path)
    config_file.write_bytes(tomli_w.dumps(settings_dict).encode())

    text = _status(config_file)
    figures = json.loads(_status(config_file, "--json"))

    data_dir = settings_dict["storage"]["data_dir"]
    assert f"free ({data_dir})\n" in text
    assert (
        f"\n           media 0 B used of 1.0 MiB, 1.0 MiB free ({small_file_system.path})\n" in text
    )
    data, media = figures["disk"]["areas"]
    assert (data["area"], data["location"]) == ("data", data_dir)
    assert media == {
        "area": "media",
        "location": str(small_file_system.path),
        "total_bytes": 1024 * 1024,
        "used_bytes": 0,
        "free_bytes": 1024 * 1024,
        "note": None,
    }


def test_status_names_a_bucket_an_object_store_without_a_free_space_figure(
    catalog, settings_dict, config_file
):
    settings_dict["storage"]["media"] = "s3://alarmvault-media/cluster"
    config_file.write_bytes(tomli_w.dumps(settings_dict).encode())

    text = _status(config_file)

    assert "\n           media object store (s3://alarmvault-media/cluster)\n" in text


def test_status_shows_the_detector_speed_detection_recorded(
    catalog, settings, config_file, make_camera, store_recording
):
    recording = store_recording(make_camera(), timedelta(minutes=1))
    record_detection_run(catalog, recording["id"], 900, 12)
    assert "detector:  75.0 ms per detector run, 900.0 ms per clip (last 1 clips)" in _status(
        config_file
    )
