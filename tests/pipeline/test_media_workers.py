"""Isolated media worker processes and "visible first, labelled after" (issue 14)."""

from __future__ import annotations

import errno
import logging
import os
import signal
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from core.catalog import jobs
from core.catalog.detections import labels_by_recording, set_detection_switches
from core.catalog.recordings import list_recordings
from core.catalog.states import JobState
from core.clipstore import ClipStore
from core.detection.results import DetectionSwitches
from core.settings.pipeline import PipelineSettings
from pipeline.daemon import PipelineDaemon
from pipeline.media_worker import MediaWorker
from pipeline.processor import ANALYSIS_GAVE_UP, MAX_ANALYSIS_ATTEMPTS, ClipProcessor
from tests.conftest import MODELS, requires_shared


def test_workers_default_to_one_per_core_and_a_number_is_still_accepted():
    assert PipelineSettings().workers == "auto"
    assert PipelineSettings().worker_count == len(os.sched_getaffinity(0))
    assert PipelineSettings(workers=3).worker_count == 3
    with pytest.raises(ValueError, match="auto"):
        PipelineSettings(workers=0)
    with pytest.raises(ValueError):
        PipelineSettings(workers="all")


def test_media_worker_probes_in_its_own_process_and_is_replaced_after_its_task_limit(
    settings, camera_clip
):
    settings.pipeline.worker_max_tasks = 2
    with MediaWorker(settings) as media:
        assert media.probe(camera_clip).ok
        first = media.pid
        assert first is not None and first != os.getpid()
        assert media.probe(camera_clip).ok  # the second task: the process is replaced after it
        assert media.probe(camera_clip).ok
        assert media.pid not in (None, first)
        assert media.stats.recycled == 1 and media.stats.tasks == 3
        assert 30 < media.stats.peak_rss_mb < settings.pipeline.worker_max_rss_mb


def kill_each_worker_that_serves(media: MediaWorker, times: int) -> threading.Thread:
    """SIGKILL the worker process ``times`` times, each time once it has started and is busy."""

    def killer() -> None:
        victims: list[int] = []
        while len(victims) < times:
            pid = media.pid
            if pid is not None and pid not in victims:
                time.sleep(1.0)  # busy with the request by now
                os.kill(pid, signal.SIGKILL)
                victims.append(pid)
            time.sleep(0.05)

    thread = threading.Thread(target=killer)
    thread.start()
    return thread


def test_worker_killed_once_mid_probe_is_replaced_and_the_probe_tried_again(
    settings, camera_clip, tmp_path
):
    hanging = tmp_path / "hang.mp4"
    os.mkfifo(hanging)  # reading it blocks, like a decoder stuck on a hostile file
    settings.validation.probe_timeout_s = 4.0
    with MediaWorker(settings) as media:
        assert media.probe(camera_clip).ok
        first = media.pid
        killer = kill_each_worker_that_serves(media, times=1)
        try:
            probe = media.probe(hanging)
        finally:
            killer.join()
        # Killed once, then the fresh worker hangs on the FIFO: the time limit decides.
        assert (media.stats.crashes, media.stats.timeouts) == (1, 1)
        assert probe.error == "decoder timed out while probing"
        assert media.probe(camera_clip).ok, "the next clip gets a fresh worker"
        assert media.pid != first


def test_worker_that_dies_twice_on_one_file_costs_that_clip_only(settings, camera_clip, tmp_path):
    hanging = tmp_path / "hang.mp4"
    os.mkfifo(hanging)
    with MediaWorker(settings) as media:
        assert media.probe(camera_clip).ok
        killer = kill_each_worker_that_serves(media, times=2)
        try:
            probe = media.probe(hanging)
        finally:
            killer.join()
        assert probe.error == "decoder crashed while probing"
        assert media.stats.crashes == 2
        assert media.probe(camera_clip).ok, "the next clip gets a fresh worker"


def test_hung_worker_is_killed_after_the_time_limit_and_the_upload_rejected_as_undecodable(
    settings, catalog, make_camera, camera_clip, spool_upload, tmp_path
):
    settings.validation.probe_timeout_s = 1.0
    hanging = tmp_path / "hang.mp4"
    os.mkfifo(hanging)
    with MediaWorker(settings) as media:
        started = time.monotonic()
        assert media.probe(hanging).error == "decoder timed out while probing"
        assert time.monotonic() - started < 10
        assert media.stats.timeouts == 1
        folder = spool_upload(camera_clip, make_camera())
        processor = ClipProcessor(settings, catalog, "test:0", media=media)
        assert processor.process(folder) == JobState.INDEXED


@pytest.fixture
def detecting_camera(settings, catalog, make_camera):
    requires_shared("models", "yolov8n_640x384.onnx")
    settings.detection.models_dir = MODELS
    camera = make_camera()
    set_detection_switches(catalog, camera["id"], DetectionSwitches(objects=True))
    return camera


def test_clip_is_visible_with_poster_before_analysis_and_labelled_after(
    settings, catalog, detecting_camera, people_clip, spool_upload
):
    folder = spool_upload(people_clip, detecting_camera)
    with MediaWorker(settings) as media:
        processor = ClipProcessor(settings, catalog, "test:0", media=media)

        assert processor.process(folder) == JobState.ANALYSING
        [recording] = list_recordings(catalog)
        assert ClipStore(settings.storage).thumb_file(recording["thumb_path"]).is_file()
        assert labels_by_recording(catalog, [recording["id"]]).get(recording["id"], []) == []
        [waiting] = jobs.analysis_queue(catalog)
        assert waiting["id"] == folder.name

        assert processor.analyse(folder.name) == JobState.ANALYSED
    assert "person" in labels_by_recording(catalog, [recording["id"]])[recording["id"]]
    assert jobs.analysis_queue(catalog) == []
    assert processor.analyse(folder.name) is None, "analysed once only"


def test_an_analysis_that_outlasts_its_lease_leaves_the_clip_to_the_worker_that_took_it_over(
    settings, catalog, detecting_camera, people_clip, spool_upload, monkeypatch
):
    folder = spool_upload(people_clip, detecting_camera)
    with MediaWorker(settings) as media:
        processor = ClipProcessor(settings, catalog, "test:0", media=media)
        assert processor.process(folder) == JobState.ANALYSING
        analyse = processor.detection.analyse

        def analysis_outlasting_the_lease(camera_id, relpath):
            result = analyse(camera_id, relpath)
            # Meanwhile the lease ran out and a worker on another node took the clip over.
            catalog.execute(
                "UPDATE jobs SET lease_until = ? WHERE id = ?",
                ["2000-01-01T00:00:00+00:00", folder.name],
            )
            assert jobs.claim_job(catalog, folder.name, "other-node:0")
            return result

        monkeypatch.setattr(processor.detection, "analyse", analysis_outlasting_the_lease)
        assert processor.analyse(folder.name) is None

    job = jobs.get_job(catalog, folder.name)
    assert (job["state"], job["claimed_by"]) == (JobState.ANALYSING, "other-node:0")
    [recording] = list_recordings(catalog)
    assert labels_by_recording(catalog, [recording["id"]]).get(recording["id"], []) == []


def test_analysis_that_keeps_failing_is_tried_again_then_the_clip_stays_visible_unlabelled(
    settings, catalog, detecting_camera, camera_clip, spool_upload
):
    folder = spool_upload(camera_clip, detecting_camera)
    settings.pipeline.analysis_timeout_s = 0.05  # no real analysis finishes this fast
    with MediaWorker(settings) as media:
        processor = ClipProcessor(settings, catalog, "test:0", media=media)
        assert processor.process(folder) == JobState.ANALYSING

        assert processor.analyse(folder.name) is None  # timed out: waits for another try
        assert jobs.get_job(catalog, folder.name)["state"] == JobState.ANALYSING
        assert processor.analyse(folder.name) == JobState.ANALYSED
        assert media.stats.timeouts == 2

    job = jobs.get_job(catalog, folder.name)
    assert job["reason"] == ANALYSIS_GAVE_UP
    [recording] = list_recordings(catalog)
    assert recording["job_id"] == folder.name


def test_analysis_queue_serves_the_longest_waiting_clip_first(
    settings, catalog, detecting_camera, camera_clip, spool_upload
):
    processor = ClipProcessor(settings, catalog, "test:0")
    folders = [
        spool_upload(camera_clip, detecting_camera, name=f"A20261125_13000{n}.mp4")
        for n in range(3)
    ]
    for folder in folders:
        assert processor.process(folder) == JobState.ANALYSING
    # Visible at different times: the queue goes by how long each has waited.
    for age_s, folder in zip((30, 90, 60), folders, strict=True):
        waiting_since = datetime.now(UTC) - timedelta(seconds=age_s)
        catalog.execute(
            "UPDATE jobs SET updated_at = ? WHERE id = ?",
            [waiting_since.isoformat(timespec="seconds"), folder.name],
        )
    queue = [job["id"] for job in jobs.analysis_queue(catalog)]
    assert queue == [folders[1].name, folders[2].name, folders[0].name]


def test_our_own_error_while_storing_labels_is_tried_again_then_given_up_without_looping(
    settings, catalog, detecting_camera, camera_clip, spool_upload, monkeypatch
):
    folder = spool_upload(camera_clip, detecting_camera)
    processor = ClipProcessor(settings, catalog, "test:0")
    assert processor.process(folder) == JobState.ANALYSING

    def broken_store(*args, **kwargs):
        raise RuntimeError("simulated bug while storing the labels")

    monkeypatch.setattr("pipeline.detection.stage.store_detection_results", broken_store)
    assert processor.analyse(folder.name) is None
    assert jobs.get_job(catalog, folder.name)["state"] == JobState.ANALYSING
    assert processor.analyse(folder.name) is None
    job = jobs.get_job(catalog, folder.name)
    assert (job["state"], job["reason"]) == (JobState.ANALYSED, "analysis_error")
    assert len(list_recordings(catalog)) == 1, "the clip stays visible"


def test_a_worker_paused_past_its_lease_mid_analysis_stores_no_second_set_of_labels(
    settings, catalog, detecting_camera, people_clip, spool_upload, caplog
):
    folder = spool_upload(people_clip, detecting_camera)
    paused = ClipProcessor(settings, catalog, "node-a:a0")
    other = ClipProcessor(settings, catalog, "node-b:a0")
    assert paused.process(folder) == JobState.ANALYSING
    analyse = paused.detection.analyse
    stored_by_other = []

    def pause_then_go_on(*args, **kwargs):
        # node-a stops mid-detection past its lease; node-b takes the clip over and labels it.
        catalog.execute(
            "UPDATE jobs SET lease_until = '2000-01-01T00:00:00+00:00' WHERE id = ?",
            [folder.name],
        )
        assert other.analyse(folder.name) == JobState.ANALYSED
        stored_by_other.append(boxes(catalog))
        return analyse(*args, **kwargs)

    paused.detection.analyse = pause_then_go_on  # type: ignore[method-assign]
    assert paused.analyse(folder.name) is None

    assert f"job {folder.name}: lost the clip to another worker" in caplog.text
    assert stored_by_other[0] > 0 and boxes(catalog) == stored_by_other[0]
    [recording] = list_recordings(catalog)
    assert "person" in labels_by_recording(catalog, [recording["id"]])[recording["id"]]
    job = jobs.get_job(catalog, folder.name)
    assert (job["state"], job["claimed_by"]) == (JobState.ANALYSED, None)


def boxes(catalog) -> int:
    return catalog.execute("SELECT count(*) FROM detection_boxes").fetchone()[0]


def fill_up(folder) -> None:
    """Write into ``folder`` until its file system has no room left (ENOSPC)."""
    chunk = b"\0" * (64 * 1024)
    with open(folder / "filler", "wb", buffering=0) as filler:
        try:
            while True:
                filler.write(chunk)
        except OSError as error:
            assert error.errno == errno.ENOSPC


def test_analysis_on_a_full_media_folder_waits_for_room_then_labels_the_clip(
    settings, catalog, detecting_camera, people_clip, spool_upload, small_file_system, caplog
):
    """A real full file system: the media folder (a tmpfs) takes the clip and its poster, then
    fills up, so the media worker's frames and crops fail with ENOSPC. The clip keeps waiting
    for analysis however often that happens (no try counted, one warning, this worker claims
    nothing for poll_interval_s) and gets its labels once there is room."""
    caplog.set_level(logging.INFO, logger="pipeline.processor")
    settings.pipeline.poll_interval_s = 0.2
    settings.storage.media = str(small_file_system.path)
    small_file_system.resize(people_clip.stat().st_size // 1024 * 3)
    folder = spool_upload(people_clip, detecting_camera)
    with MediaWorker(settings) as media:
        processor = ClipProcessor(settings, catalog, "test:0", media=media)
        assert processor.process(folder) == JobState.ANALYSING
        attempts = jobs.get_job(catalog, folder.name)["attempts"]
        fill_up(small_file_system.path)

        daemon = PipelineDaemon(settings)
        for _ in range(MAX_ANALYSIS_ATTEMPTS):  # as many tries as an error of ours is given
            assert processor.analyse(folder.name) is None
            assert processor.space_pause_s() > 0.1
            assert processor.analyse(folder.name) is None, "no claim during the pause"
            started = time.monotonic()
            daemon._analyse_next(processor)  # the analysis loop's turn waits out the pause
            assert time.monotonic() - started > 0.1
            assert jobs.get_job(catalog, folder.name)["claimed_by"] is None
            assert processor.space_pause_s() == 0
        job = jobs.get_job(catalog, folder.name)
        assert (job["state"], job["attempts"], job["claimed_by"], job["reason"]) == (
            JobState.ANALYSING,
            attempts,
            None,
            None,
        )
        warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1 and warnings[0].exc_info is None
        assert (
            "no room to store its analysis (frames, crops) (No space left on device in "
            f"{small_file_system.path})" in warnings[0].getMessage()
        )
        assert "it waits for analysis, visible unlabelled" in warnings[0].getMessage()

        (small_file_system.path / "filler").unlink()
        assert processor.analyse(folder.name) == JobState.ANALYSED

    job = jobs.get_job(catalog, folder.name)
    assert (job["state"], job["reason"]) == (JobState.ANALYSED, None)
    [recording] = list_recordings(catalog)
    assert "person" in labels_by_recording(catalog, [recording["id"]])[recording["id"]]
    assert "there is room to store clips again; analysis goes on" in caplog.text
