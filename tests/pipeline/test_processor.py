"""ClipProcessor on real files: what becomes a recording, what is rejected, and resuming."""

from __future__ import annotations

import pytest

from core.catalog import jobs
from core.catalog.recordings import list_recordings
from core.catalog.rejections import list_rejections
from core.catalog.states import JobState
from core.catalog.totals import account_totals, check_totals
from core.clipstore import ClipStore
from pipeline.processor import ClipProcessor

pytestmark = pytest.mark.both_engines


def test_valid_clip_is_indexed_with_poster_and_moved_out_of_spool(
    settings, catalog, make_camera, camera_clip, spool_upload
):
    camera = make_camera()
    folder = spool_upload(camera_clip, camera, name="A20261125_130501.mp4")

    state = ClipProcessor(settings, catalog, "test:0").process(folder)

    assert state == JobState.INDEXED
    assert not folder.exists()
    [recording] = list_recordings(catalog)
    assert recording["camera_id"] == camera["id"]
    assert recording["started_at"] == "2026-11-25T13:05:01+00:00"
    assert abs(recording["duration_s"] - 18.0) < 0.2
    assert (recording["width"], recording["height"]) == (1280, 720)
    store = ClipStore(settings.storage)
    stored = store.recording_file(recording["path"])
    assert stored.read_bytes() == camera_clip.read_bytes()
    assert store.thumb_file(recording["thumb_path"]).read_bytes()[:3] == b"\xff\xd8\xff"


def test_text_file_named_mp4_is_rejected_and_removed(
    settings, catalog, make_camera, spool_upload, tmp_path
):
    camera = make_camera()
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 50)
    folder = spool_upload(text, camera, name="notes.mp4")

    state = ClipProcessor(settings, catalog, "test:0").process(folder)

    assert state == JobState.REJECTED
    assert not folder.exists()
    [rejection] = list_rejections(catalog)
    assert rejection["reason"] == "not_video"
    assert rejection["camera_id"] == camera["id"]
    assert list_recordings(catalog) == []


def test_mp4_cut_in_half_is_rejected_as_truncated(
    settings, catalog, make_camera, camera_clip, spool_upload, tmp_path
):
    camera = make_camera()
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(camera_clip.read_bytes()[: camera_clip.stat().st_size // 2])
    folder = spool_upload(truncated, camera)

    assert ClipProcessor(settings, catalog, "test:0").process(folder) == JobState.REJECTED

    [rejection] = list_rejections(catalog)
    assert rejection["reason"] == "truncated"
    assert "the moov box (the index a camera writes last) is missing" in rejection["detail"]


def test_processing_a_job_twice_indexes_it_once(
    settings, catalog, make_camera, camera_clip, spool_upload
):
    camera = make_camera()
    folder = spool_upload(camera_clip, camera)
    processor = ClipProcessor(settings, catalog, "test:0")
    processor.process(folder)
    # A rescan that raced the first pass sees the folder gone or the job final.
    assert processor.process(folder) is None
    [recording] = list_recordings(catalog)
    # The index stage counted it once in the running totals, in its own transaction.
    assert account_totals(catalog, camera["owner"]["id"]) == {
        "recordings": 1,
        "bytes": recording["size_bytes"],
        "unreviewed": 1,
    }
    assert check_totals(catalog, repair=False)["drift"] == []


def test_crash_after_move_before_index_resumes_without_loss(
    settings, catalog, make_camera, camera_clip, spool_upload, monkeypatch
):
    camera = make_camera()
    folder = spool_upload(camera_clip, camera)
    processor = ClipProcessor(settings, catalog, "test:0")

    def crash(*args, **kwargs):
        raise RuntimeError("simulated crash after the clip was moved")

    monkeypatch.setattr("pipeline.clip_media.write_poster", crash)
    assert processor.process(folder) is None
    monkeypatch.undo()

    # The clip left the spool folder but its metadata is still there: the retry finds the file
    # in the recordings tree and indexes it exactly once.
    assert folder.exists()
    assert ClipProcessor(settings, catalog, "test:1").process(folder) == JobState.INDEXED
    [recording] = list_recordings(catalog)
    assert ClipStore(settings.storage).recording_file(recording["path"]).exists()


def test_job_whose_tries_keep_killing_the_daemon_is_set_aside_with_its_upload_kept(
    settings, catalog, make_camera, camera_clip, spool_upload
):
    from pipeline.processor import CRASH_LIMIT

    camera = make_camera()
    folder = spool_upload(camera_clip, camera)
    upload_id = folder.name
    jobs.register_job(catalog, {"upload_id": upload_id, "camera_id": camera["id"]})
    # As left behind by CRASH_LIMIT claims whose process died before finishing.
    catalog.execute("UPDATE jobs SET attempts = ? WHERE id = ?", [CRASH_LIMIT, upload_id])

    assert ClipProcessor(settings, catalog, "test:0").process(folder) == JobState.FAILED

    assert jobs.get_job(catalog, upload_id)["reason"] == "processing_crashed"
    assert (folder / "clip").read_bytes() == camera_clip.read_bytes()
    assert ClipProcessor(settings, catalog, "test:0").process(folder) == JobState.FAILED
    assert list_recordings(catalog) == []


@pytest.mark.parametrize("paused_in", ["check", "index"])
def test_a_worker_paused_past_its_lease_stores_nothing_after_another_took_its_clip_over(
    settings, catalog, make_camera, camera_clip, spool_upload, caplog, paused_in
):
    camera = make_camera()
    folder = spool_upload(camera_clip, camera, name="A20261125_130501.mp4")
    paused = ClipProcessor(settings, catalog, "node-a:0")
    other = ClipProcessor(settings, catalog, "node-b:0")
    stage = paused.media.probe if paused_in == "check" else paused.media.poster
    taken_over = []

    def pause_then_go_on(*args, **kwargs):
        # node-a stops here past its lease; node-b takes the clip over and stores it.
        catalog.execute(
            "UPDATE jobs SET lease_until = '2000-01-01T00:00:00+00:00' WHERE id = ?",
            [folder.name],
        )
        taken_over.append(other.process(folder))
        return stage(*args, **kwargs)

    setattr(paused.media, stage.__name__, pause_then_go_on)
    assert paused.process(folder) is None

    assert taken_over == [JobState.INDEXED]
    assert f"job {folder.name}: lost the clip to another worker" in caplog.text
    [recording] = list_recordings(catalog)
    job = jobs.get_job(catalog, folder.name)
    assert (job["state"], job["recording_id"], job["claimed_by"]) == (
        JobState.INDEXED,
        recording["id"],
        None,
    )
    store = ClipStore(settings.storage)
    assert [p.name for p in store.recordings_root.rglob("*") if p.is_file()] == [
        f"{folder.name}.mp4"
    ]
    assert [p.name for p in store.thumbs_root.rglob("*") if p.is_file()] == [
        f"{folder.name}.poster.jpg"
    ]
    assert store.recording_file(recording["path"]).read_bytes() == camera_clip.read_bytes()
    assert not folder.exists()
