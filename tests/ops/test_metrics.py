"""The Prometheus endpoint: off by default, figures from the catalog, scraped over HTTP."""

from __future__ import annotations

import urllib.request
from datetime import timedelta

import pytest
import tomli_w
from prometheus_client.parser import text_string_to_metric_families

from core.catalog import atomic
from core.catalog.jobs import advance_job, register_job
from core.catalog.scheduled_runs import record_run
from core.catalog.states import JobState
from core.settings import Settings
from pipeline.metrics import MetricsEndpoint
from pipeline.scheduler import catalog_time
from tests.loopback import free_port
from tests.ops.conftest import NOW, record_detection_run
from tests.ops.processes import DaemonProcess

pytestmark = pytest.mark.both_engines


def scrape(address: str) -> dict[tuple[str, tuple], float]:
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as response:
        assert response.status == 200
        text = response.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape_endpoint(settings) -> dict[tuple[str, tuple], float]:
    """Start the endpoint in this process on a free port, scrape it once, stop it."""
    settings.metrics.listen = "127.0.0.1:0"
    endpoint = MetricsEndpoint(settings)
    host, port = endpoint.start()
    try:
        return scrape(f"{host}:{port}")
    finally:
        endpoint.stop()


def _seed(catalog, make_camera, store_recording) -> None:
    camera = make_camera()
    store_recording(camera, timedelta(minutes=5), size=4000)
    store_recording(camera, timedelta(minutes=3), size=6000)
    for number, reason in enumerate(("not_video", "not_video", "unknown_camera")):
        job_id = f"bad{number}"
        register_job(catalog, {"upload_id": job_id, "camera_id": camera["id"]})
        advance_job(catalog, job_id, JobState.REJECTED, reason=reason)
    register_job(catalog, {"upload_id": "waiting", "camera_id": camera["id"]})
    with atomic(catalog):
        catalog.execute("UPDATE cameras SET fairuse_state = 'warned' WHERE id = ?", [camera["id"]])
    record_run(catalog, "storage_statistics", catalog_time(NOW), "x")


def test_metrics_are_off_by_default():
    assert Settings().metrics.enabled is False
    assert Settings().metrics.listen == "127.0.0.1:9108"


def test_endpoint_serves_the_catalog_figures(catalog, settings, make_camera, store_recording):
    _seed(catalog, make_camera, store_recording)
    samples = scrape_endpoint(settings)

    assert samples[("alarmvault_clips_received_total", ())] == 6
    assert samples[("alarmvault_clips_accepted_total", ())] == 2
    assert samples[("alarmvault_clips_rejected_total", (("reason", "not_video"),))] == 2
    assert samples[("alarmvault_clips_rejected_total", (("reason", "unknown_camera"),))] == 1
    assert samples[("alarmvault_queue_depth", (("state", "received"),))] == 1
    assert ("alarmvault_queue_depth", (("state", "indexed"),)) not in samples
    assert samples[("alarmvault_processing_seconds_count", ())] == 2
    assert samples[("alarmvault_processing_seconds_sum", ())] >= 0
    assert samples[("alarmvault_recordings_bytes", ())] == 10_000
    assert samples[("alarmvault_cameras", (("fairuse_state", "warned"),))] == 1
    assert samples[("alarmvault_disk_bytes", (("area", "data"), ("kind", "free")))] > 0
    # The media are in the data folder: no second figure for the same disk.
    assert not any(dict(labels).get("area") == "media" for _, labels in samples)
    assert (
        samples[
            (
                "alarmvault_scheduled_job_last_run_timestamp_seconds",
                (("job", "storage_statistics"),),
            )
        ]
        == NOW.timestamp()
    )
    # Nothing analysed yet: the metric is absent rather than a made-up 0.
    assert not any(name == "alarmvault_detector_ms" for name, _ in samples)


def test_a_media_folder_on_another_file_system_has_its_own_disk_gauges(
    catalog, settings, small_file_system
):
    settings.storage.data_dir.mkdir(exist_ok=True)  # made by SQLite, not PostgreSQL
    settings.storage.media = str(small_file_system.path)
    (small_file_system.path / "recordings").mkdir()
    (small_file_system.path / "recordings" / "clip.mp4").write_bytes(b"x" * 256 * 1024)

    samples = scrape_endpoint(settings)

    media = {
        dict(labels)["kind"]: value
        for (name, labels), value in samples.items()
        if name == "alarmvault_disk_bytes" and dict(labels)["area"] == "media"
    }
    assert media == {"total": 1024 * 1024, "used": 256 * 1024, "free": 768 * 1024}
    assert samples[("alarmvault_disk_bytes", (("area", "data"), ("kind", "total")))] > 1024**2


def test_a_bucket_has_no_disk_gauges(catalog, settings):
    settings.storage.data_dir.mkdir(exist_ok=True)  # made by SQLite, not PostgreSQL
    settings.storage.media = "s3://alarmvault-media/cluster"

    samples = scrape_endpoint(settings)

    areas = {dict(labels)["area"] for name, labels in samples if name == "alarmvault_disk_bytes"}
    assert areas == {"data"}


def test_detector_speed_appears_once_detection_records_timings(
    catalog, settings, make_camera, store_recording
):
    camera = make_camera()
    record_detection_run(catalog, store_recording(camera, timedelta(minutes=2))["id"], 600, 10)
    record_detection_run(catalog, store_recording(camera, timedelta(minutes=1))["id"], 1000, 10)
    samples = scrape_endpoint(settings)
    assert samples[("alarmvault_detector_ms", ())] == 80
    assert samples[("alarmvault_analysis_ms_per_clip", ())] == 800


def test_pipeline_daemon_serves_metrics_when_enabled(
    catalog, settings_dict, tmp_path, make_camera, store_recording
):
    _seed(catalog, make_camera, store_recording)
    address = f"127.0.0.1:{free_port()}"
    settings_dict["metrics"] = {"enabled": True, "listen": address}
    settings_dict["schedule"] = {"enabled": False}
    config = tmp_path / "alarmvault.toml"
    config.write_bytes(tomli_w.dumps(settings_dict).encode())
    daemon = DaemonProcess(config, tmp_path / "pipeline.log")
    try:
        daemon.wait_for(lambda: f"metrics served on {address}" in daemon.text())
        samples = scrape(address)
    finally:
        assert daemon.stop() == 0
    assert samples[("alarmvault_clips_accepted_total", ())] == 2
    assert samples[("alarmvault_clips_rejected_total", (("reason", "not_video"),))] == 2
