"""Playback copies: AVI and H.265 clips get an H.264 MP4 for browsers when they are indexed;
the original stays as uploaded, a retry after a crash neither repeats nor loses the copy, and
deleting the recording removes it."""

from __future__ import annotations

import re
import struct

import av
import pytest

from core.catalog.recordings import list_recordings
from core.catalog.states import JobState
from core.clipstore import ClipStore
from pipeline.media.probe import probe_clip
from pipeline.processor import ClipProcessor
from webui import create_app

# Short, small clips: a copy is one decode and one encode of every frame.
HD_AVI = {"seconds": 4, "width": 1280, "height": 720, "fps": 15, "container_format": "avi"}
WQHD_HEVC = {
    "seconds": 3,
    "width": 640,
    "height": 360,
    "fps": 10,
    "codec": "libx265",
    "audio": True,
}


def top_level_boxes(data: bytes) -> list[bytes]:
    """The types of an MP4 file's top-level boxes, in file order."""
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:  # a 64-bit size follows the type
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        boxes.append(kind)
        if size < 8:
            break
        offset += size
    return boxes


def index_clip(settings, catalog, camera, clip, spool_upload, name: str) -> dict:
    folder = spool_upload(clip, camera, name=name)
    assert ClipProcessor(settings, catalog, "test:0").process(folder) == JobState.INDEXED
    [recording] = list_recordings(catalog, camera_id=camera["id"])
    return recording


def test_avi_from_an_hd_camera_gets_an_h264_mp4_and_keeps_its_original(
    settings, catalog, make_camera, clip_factory, spool_upload
):
    camera = make_camera(model="IN-5905")
    avi = clip_factory(**HD_AVI)
    recording = index_clip(settings, catalog, camera, avi, spool_upload, "A20261125_130501.avi")

    store = ClipStore(settings.storage)
    assert recording["container"] == "avi"
    assert store.recording_file(recording["path"]).read_bytes() == avi.read_bytes()
    assert recording["playback_path"] == store.playback_relpath(recording["path"])
    copy = store.recording_file(recording["playback_path"])
    probe = probe_clip(copy)
    assert probe.ok, probe.error
    assert (probe.container.split(",")[0], probe.codec) == ("mov", "h264")
    assert (probe.width, probe.height, probe.fps, probe.frame_count) == (1280, 720, 15.0, 60)
    # The index comes first, so a browser starts playing before the whole file arrived.
    boxes = top_level_boxes(copy.read_bytes())
    assert boxes.index(b"moov") < boxes.index(b"mdat"), boxes
    assert list(copy.parent.glob("*.partial")) == []


def test_h265_from_a_wqhd_camera_gets_an_h264_copy_with_its_aac_audio(
    settings, catalog, make_camera, clip_factory, spool_upload
):
    if "libx265" not in av.codecs_available:
        pytest.skip("this FFmpeg build has no H.265 encoder to make the test clip")
    camera = make_camera(model="IN-9408")
    hevc = clip_factory(**WQHD_HEVC)
    recording = index_clip(settings, catalog, camera, hevc, spool_upload, "A20261125_130501.mp4")

    assert recording["codec"] == "hevc"
    store = ClipStore(settings.storage)
    probe = probe_clip(store.recording_file(recording["playback_path"]))
    assert (probe.codec, probe.width, probe.height, probe.frame_count) == ("h264", 640, 360, 30)
    assert probe.audio_codec == "aac"
    assert store.recording_file(recording["path"]).read_bytes() == hevc.read_bytes()


def test_h264_mp4_plays_as_it_is_and_gets_no_copy(
    settings, catalog, make_camera, clip_factory, spool_upload
):
    camera = make_camera()
    mp4 = clip_factory(seconds=4, width=1280, height=720, fps=15)
    recording = index_clip(settings, catalog, camera, mp4, spool_upload, "A20261125_130501.mp4")
    assert recording["playback_path"] is None
    folder = ClipStore(settings.storage).recording_file(recording["path"]).parent
    assert [path.name for path in folder.iterdir()] == [recording["path"].rsplit("/", 1)[1]]


def test_crash_after_the_copy_before_the_index_reuses_the_copy(
    settings, catalog, make_camera, clip_factory, spool_upload, monkeypatch
):
    camera = make_camera(model="IN-5905")
    folder = spool_upload(clip_factory(**HD_AVI), camera, name="A20261125_130501.avi")
    made = []
    import pipeline.media.playback as playback

    real_copy = playback.make_playback_copy

    def counted_copy(source, target, **kwargs):
        made.append(target)
        real_copy(source, target, **kwargs)

    def crash(*args, **kwargs):
        raise RuntimeError("simulated crash between the copy and the index")

    monkeypatch.setattr(playback, "make_playback_copy", counted_copy)
    monkeypatch.setattr("pipeline.processor.insert_recording", crash)
    assert ClipProcessor(settings, catalog, "test:0").process(folder) is None
    monkeypatch.undo()
    monkeypatch.setattr(playback, "make_playback_copy", counted_copy)

    assert ClipProcessor(settings, catalog, "test:1").process(folder) == JobState.INDEXED
    assert len(made) == 1
    [recording] = list_recordings(catalog)
    store = ClipStore(settings.storage)
    assert probe_clip(store.recording_file(recording["playback_path"])).codec == "h264"
    files = sorted(p.name for p in store.recording_file(recording["path"]).parent.iterdir())
    assert files == sorted(
        [recording["path"].rsplit("/", 1)[1], recording["playback_path"].rsplit("/", 1)[1]]
    )


def test_player_serves_the_copy_download_the_original_and_delete_removes_both(
    settings, catalog, make_camera, clip_factory, spool_upload
):
    camera = make_camera(model="IN-5905")
    avi = clip_factory(**HD_AVI)
    recording = index_clip(settings, catalog, camera, avi, spool_upload, "A20261125_130501.avi")
    store = ClipStore(settings.storage)
    copy = store.recording_file(recording["playback_path"])

    client = create_app({"SETTINGS": settings, "TESTING": True}).test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login_page).group(1)
    owner = camera["owner"]
    client.post(
        "/login", data={"email": owner["email"], "password": owner["password"], "csrf_token": token}
    )

    video = client.get(f"/recordings/{recording['id']}/video", buffered=True)
    assert video.status_code == 200
    assert video.mimetype == "video/mp4"
    assert video.data == copy.read_bytes()
    download = client.get(f"/recordings/{recording['id']}/download", buffered=True)
    assert download.data == avi.read_bytes()
    assert download.headers["Content-Disposition"].endswith(".avi")

    page = client.get(f"/recordings/{recording['id']}").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    deleted = client.post(f"/recordings/{recording['id']}/delete", data={"csrf_token": token})
    assert deleted.status_code == 302
    assert not copy.exists()
    assert not store.recording_file(recording["path"]).exists()


def test_deleting_the_recording_files_removes_the_playback_copy(settings, tmp_path):
    store = ClipStore(settings.storage)
    relpath = "7/2026-11-25/job.avi"
    for rel in (relpath, store.playback_relpath(relpath)):
        store.recording_file(rel).parent.mkdir(parents=True, exist_ok=True)
        store.recording_file(rel).write_bytes(b"x")

    store.delete_recording_files(
        {"path": relpath, "thumb_path": None, "playback_path": store.playback_relpath(relpath)}
    )

    assert list(store.recording_file(relpath).parent.iterdir()) == []
