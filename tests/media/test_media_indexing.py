"""A clip through indexing, playback and deletion on each media store: it reaches the store
before its row, the browser gets a short-lived link (bucket) or a range response (folder), and
removal takes every stored file of it."""

from __future__ import annotations

import logging
import time
import urllib.request

import pytest
from PIL import Image

from core import spool
from core.catalog.recordings import list_recordings
from core.catalog.states import JobState
from core.catalog.stills import stills_of
from core.clipstore import ClipStore
from core.removal import remove_recordings
from pipeline.processor import MAX_ATTEMPTS, ClipProcessor
from tests.media.conftest import ACCESS_KEY, SECRET_KEY
from tests.webui.conftest import csrf_from
from webui import create_app


def stored_keys(store) -> list[str]:
    return sorted(item.key for area in ("recordings/", "thumbs/") for item in store.list(area))


def test_indexing_stores_the_clip_and_poster_before_the_row(
    store,
    store_kind,
    settings,
    catalog,
    make_camera,
    camera_clip,
    spool_upload,
):
    camera = make_camera()
    folder = spool_upload(camera_clip, camera, name="A20261125_130501.mp4")

    ClipProcessor(settings, catalog, "test:0").process(folder)

    [recording] = list_recordings(catalog)
    assert f"recordings/{recording['path']}" in stored_keys(store)
    assert f"thumbs/{recording['thumb_path']}" in stored_keys(store)
    assert store.stat(f"recordings/{recording['path']}").size == camera_clip.stat().st_size
    clips = ClipStore(settings.storage)
    # A bucket keeps the files for good; this node's working copy is gone once indexed.
    assert clips.recording_file(recording["path"]).exists() == (store_kind == "posix")
    # Another node (or this one, later) gets the clip back from the store.
    assert clips.local_recording(recording["path"]).read_bytes() == camera_clip.read_bytes()


def test_a_snapshot_is_stored_in_the_media_store_with_its_poster(
    store, store_kind, settings, catalog, make_camera, spool_upload, tmp_path
):
    camera = make_camera(model="IN-8015")
    snapshot = tmp_path / "snap.jpg"
    Image.new("RGB", (640, 360), (90, 120, 150)).save(snapshot, "JPEG", quality=85)
    folder = spool_upload(snapshot, camera, name="T20261125_130005.jpg")

    ClipProcessor(settings, catalog, "test:0").process(folder)

    [recording] = list_recordings(catalog)
    [still] = stills_of(catalog, recording["id"])
    assert f"recordings/{still['path']}" in stored_keys(store)
    assert f"thumbs/{recording['thumb_path']}" in stored_keys(store)
    clips = ClipStore(settings.storage)
    assert clips.local_recording(still["path"]).read_bytes() == snapshot.read_bytes()


@pytest.fixture
def owner_client(settings, catalog, make_camera, make_user):
    owner = make_user()
    app = create_app({"SETTINGS": settings, "TESTING": True})
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={
            "email": owner["email"],
            "password": owner["password"],
            "csrf_token": csrf_from(login_page),
        },
    )
    assert response.status_code == 302
    return client, make_camera(owner=owner)


def test_playback_is_a_link_or_a_range_response_never_the_keys(
    store,
    store_kind,
    settings,
    catalog,
    camera_clip,
    spool_upload,
    owner_client,
):
    client, camera = owner_client
    ClipProcessor(settings, catalog, "test:0").process(spool_upload(camera_clip, camera))
    [recording] = list_recordings(catalog)

    response = client.get(
        f"/recordings/{recording['id']}/video", headers={"Range": "bytes=0-99"}, buffered=True
    )

    if store_kind == "posix":
        assert response.status_code == 206
        assert response.get_data() == camera_clip.read_bytes()[:100]
        return
    assert response.status_code == 302
    link = response.headers["Location"]
    assert SECRET_KEY not in link and ACCESS_KEY in link  # the key id signs; the secret never
    assert "X-Amz-Expires=300" in link
    request = urllib.request.Request(link, headers={"Range": "bytes=0-99"})
    with urllib.request.urlopen(request, timeout=10) as fetched:
        assert fetched.status == 206
        assert fetched.read() == camera_clip.read_bytes()[:100]
    poster = client.get(f"/recordings/{recording['id']}/poster")
    assert poster.status_code == 302 and "poster.jpg" in poster.headers["Location"]


def test_removing_a_recording_removes_every_stored_file_of_it(
    store,
    settings,
    catalog,
    make_camera,
    camera_clip,
    spool_upload,
):
    camera = make_camera()
    processor = ClipProcessor(settings, catalog, "test:0")
    processor.process(spool_upload(camera_clip, camera, name="A20261125_130501.mp4"))
    processor.process(spool_upload(camera_clip, camera, name="A20261125_140501.mp4"))
    gone, kept = sorted(list_recordings(catalog), key=lambda row: row["started_at"])

    remove_recordings(catalog, ClipStore(settings.storage), [gone])

    keys = stored_keys(store)
    stem = gone["path"].rsplit(".", 1)[0]
    assert not [key for key in keys if stem in key]
    assert f"recordings/{kept['path']}" in keys


def test_a_full_media_folder_keeps_the_clip_in_the_spool_until_there_is_room(
    settings, catalog, make_camera, camera_clip, spool_upload, small_file_system, caplog
):
    """A real full file system: the shared media folder is a tmpfs smaller than the clip, so
    the copy into it fails with ENOSPC; then it grows, as when an admin frees space."""
    caplog.set_level(logging.INFO, logger="pipeline.processor")
    settings.pipeline.poll_interval_s = 0.1
    settings.storage.media = str(small_file_system.path)
    clip_kib = camera_clip.stat().st_size // 1024
    small_file_system.resize(clip_kib // 2)
    camera = make_camera()
    folder = spool_upload(camera_clip, camera, name="A20261125_130501.mp4")
    processor = ClipProcessor(settings, catalog, "test:0")

    assert processor.process(folder) is None
    for _ in range(MAX_ATTEMPTS):  # more tries than an error of ours is given
        time.sleep(settings.pipeline.poll_interval_s)  # a try per rescan
        assert processor.process(folder) is None

    [job] = list(catalog.query("SELECT state, attempts, claimed_by FROM jobs"))
    assert job == {"state": JobState.VALIDATED, "attempts": 0, "claimed_by": None}
    assert spool.clip_path(folder).read_bytes() == camera_clip.read_bytes()
    assert list_recordings(catalog) == []
    assert [p for p in small_file_system.path.rglob("*") if p.is_file()] == []  # no partial
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and warnings[0].exc_info is None
    assert (
        f"no room to store the clip (No space left on device in {small_file_system.path})"
        in warnings[0].getMessage()
    )
    assert "it stays in the spool, and one clip is tried every 0.1 s" in warnings[0].getMessage()

    small_file_system.resize(clip_kib * 4)
    assert processor.process(folder) is None  # no try within poll_interval_s of the last
    time.sleep(settings.pipeline.poll_interval_s)
    assert processor.process(folder) == JobState.INDEXED

    [recording] = list_recordings(catalog)
    stored = ClipStore(settings.storage).recording_file(recording["path"])
    assert stored.is_relative_to(small_file_system.path)
    assert stored.read_bytes() == camera_clip.read_bytes()
    assert not folder.exists()
    assert "there is room to store clips again" in caplog.text
