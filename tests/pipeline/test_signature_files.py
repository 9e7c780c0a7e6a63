"""The signature stages on real files through ClipProcessor: each refused upload is deleted at
once and leaves a metadata-only rejection row with its reason."""

from __future__ import annotations

import json

import cv2
import pytest

from core.catalog.recordings import list_recordings
from core.catalog.rejections import list_rejections
from core.catalog.states import JobState
from pipeline.media.clipmaker import synthetic_scene
from pipeline.processor import ClipProcessor
from tests.pipeline.rule_clips import SMALL, write_audio_only_mp4


def text_file(clip_factory, tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video\n" * 50)
    return path


def jpeg_snapshot(clip_factory, tmp_path):
    """A real JPEG file of a synthetic picture, of a size no camera model snaps (kept snapshots:
    tests/pipeline/test_snapshot_stills.py)."""
    picture = cv2.cvtColor(next(synthetic_scene(800, 448)), cv2.COLOR_RGB2BGR)
    encoded, data = cv2.imencode(".jpg", picture)
    assert encoded
    path = tmp_path / "snapshot.jpg"
    path.write_bytes(data.tobytes())
    return path


def truncated_mp4(clip_factory, tmp_path):
    whole = clip_factory(**SMALL)
    path = tmp_path / "cut.mp4"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    return path


def audio_only_mp4(clip_factory, tmp_path):
    return write_audio_only_mp4(tmp_path / "audio.mp4")


def mjpeg_avi(clip_factory, tmp_path):
    return clip_factory(
        codec="mjpeg", container_format="avi", seconds=2, width=640, height=360, fps=10
    )


def frame_size_of_no_model(clip_factory, tmp_path):
    return clip_factory(**{**SMALL, "width": 800, "height": 448})


@pytest.mark.parametrize(
    ("make_file", "reason", "detail_part"),
    [
        (text_file, "not_video", "not an MP4"),
        (jpeg_snapshot, "profile_mismatch", "JPEG snapshot 800x448"),
        (truncated_mp4, "truncated", "moov box"),
        (audio_only_mp4, "unsupported_stream", "no video stream"),
        (mjpeg_avi, "unsupported_stream", "mjpeg"),
        (frame_size_of_no_model, "profile_mismatch", "800x448"),
    ],
    ids=[
        "text-named-mp4",
        "jpeg-named-mp4",
        "truncated-mp4",
        "audio-only-mp4",
        "mjpeg-avi",
        "frame-size-800x448",
    ],
)
def test_refused_upload_is_deleted_and_leaves_a_rejection_row(
    settings,
    catalog,
    make_camera,
    clip_factory,
    spool_upload,
    tmp_path,
    make_file,
    reason,
    detail_part,
):
    camera = make_camera(model="IN-8015")
    folder = spool_upload(make_file(clip_factory, tmp_path), camera, name="A20261125_130000.mp4")

    state = ClipProcessor(settings, catalog, "test:0").process(folder)

    assert state == JobState.REJECTED
    assert not folder.exists()
    [rejection] = list_rejections(catalog)
    assert rejection["reason"] == reason
    assert detail_part in (rejection["detail"] or "")
    assert rejection["camera_id"] == camera["id"]
    assert rejection["received_at"]
    assert list_recordings(catalog) == []
    assert not any(settings.storage.recordings_dir.rglob("*.*"))
    assert not (settings.storage.data_dir / "quarantine").exists()


def test_upload_of_a_disabled_camera_is_not_registered(
    settings, catalog, make_camera, clip_factory, spool_upload
):
    camera = make_camera()
    catalog.execute("UPDATE cameras SET enabled = 0 WHERE id = ?", [camera["id"]])
    folder = spool_upload(clip_factory(**SMALL), camera)

    assert ClipProcessor(settings, catalog, "test:0").process(folder) == JobState.REJECTED

    [rejection] = list_rejections(catalog)
    assert rejection["reason"] == "not_registered"
    assert not folder.exists()


def test_genuine_clip_is_indexed_and_its_probe_holds_the_fingerprint_facts(
    settings, catalog, make_camera, clip_factory, spool_upload
):
    camera = make_camera()
    folder = spool_upload(clip_factory(**SMALL, audio=True), camera)
    processor = ClipProcessor(settings, catalog, "test:0")

    assert processor.process(folder) == JobState.INDEXED

    [recording] = list_recordings(catalog)
    [(probe_json,)] = processor.db.execute("SELECT probe_json FROM jobs").fetchall()
    probe = json.loads(probe_json)
    facts = (probe["gop_frames"], probe["profile"], probe["audio_codec"], probe["major_brand"])
    assert facts == (10, "High", "aac", "isom")
    assert recording["lane"] == "normal"
