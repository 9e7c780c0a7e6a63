"""Recordings: the list, the player page, exact clip bytes with Range, posters, downloads,
filters, keyset pages, release and deletion."""

from __future__ import annotations

import re

import pytest

from core.catalog.browse import RecordingFilter, search_recordings
from core.catalog.jobs import advance_job, register_job
from core.catalog.recordings import public_recording
from core.catalog.states import JobState
from core.clipstore import ClipStore
from tests.conftest import label_recording

# Pages that read and write through the catalog: on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines


@pytest.fixture
def owner(make_user):
    return make_user("owner@example.com")


@pytest.fixture
def logged_in(auth, owner):
    auth.login_as(owner)
    return auth


def _ids_on_page(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-recording-id="(\d+)"', html)]


def test_recordings_page_lists_newest_first_with_poster_camera_time_and_duration(
    client, logged_in, owner, make_camera, store_recording
):
    camera = make_camera(owner, name="Porch")
    older = store_recording(camera, "2026-11-24T08:00:00+00:00")
    newer = store_recording(camera, "2026-11-25T13:05:01+00:00")
    html = client.get("/recordings").get_data(as_text=True)
    assert _ids_on_page(html) == [newer["id"], older["id"]]
    assert f'src="/recordings/{newer["id"]}/poster"' in html
    assert "Porch" in html
    assert "2026-11-25 13:05:01 UTC" in html
    assert "18.0 s" in html


def test_detail_page_has_a_video_element_for_the_clip(
    client, logged_in, owner, make_camera, store_recording
):
    recording = store_recording(make_camera(owner))
    html = client.get(f"/recordings/{recording['id']}").get_data(as_text=True)
    assert re.search(rf'<video[^>]+src="/recordings/{recording["id"]}/video"', html, re.S)
    assert "Release for training" in html


def test_video_url_returns_the_exact_bytes_and_honours_range(
    client, logged_in, owner, make_camera, store_recording, camera_clip
):
    recording = store_recording(make_camera(owner))
    clip = camera_clip.read_bytes()
    full = client.get(f"/recordings/{recording['id']}/video")
    assert full.status_code == 200
    assert full.mimetype == "video/mp4"
    assert full.headers["Accept-Ranges"] == "bytes"
    assert full.get_data() == clip
    part = client.get(f"/recordings/{recording['id']}/video", headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 100-1099/{len(clip)}"
    assert part.get_data() == clip[100:1100]
    tail = client.get(f"/recordings/{recording['id']}/video", headers={"Range": "bytes=-500"})
    assert tail.status_code == 206
    assert tail.get_data() == clip[-500:]
    beyond = client.get(
        f"/recordings/{recording['id']}/video", headers={"Range": f"bytes={len(clip) + 10}-"}
    )
    beyond.close()
    assert beyond.status_code == 416


def test_poster_is_a_jpeg_and_download_is_the_original_as_attachment(
    client, logged_in, owner, make_camera, store_recording, camera_clip
):
    recording = store_recording(make_camera(owner, name="Front door"))
    poster = client.get(f"/recordings/{recording['id']}/poster")
    assert poster.status_code == 200
    assert poster.mimetype == "image/jpeg"
    assert poster.get_data()[:3] == b"\xff\xd8\xff"
    download = client.get(f"/recordings/{recording['id']}/download")
    assert download.get_data() == camera_clip.read_bytes()
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "Front-door-20261125T130501.mp4" in disposition


def test_player_serves_the_playback_copy_when_the_pipeline_made_one(
    client, logged_in, owner, make_camera, store_recording, catalog, settings, clip_factory
):
    # An AVI from an HD camera: the pipeline adds an H.264 MP4 for browsers (playback_path).
    avi = clip_factory(
        seconds=2, width=640, height=352, fps=10, container_format="avi", codec="mpeg4"
    )
    mp4 = clip_factory(seconds=2, width=640, height=352, fps=10)
    if "playback_path" not in catalog["recordings"].columns_dict:
        catalog.execute("ALTER TABLE recordings ADD COLUMN playback_path TEXT")
    recording = store_recording(make_camera(owner, model="IN-5905"), clip=avi)
    playback_rel = recording["path"].rsplit(".", 1)[0] + ".playback.mp4"
    ClipStore(settings.storage).recording_file(playback_rel).write_bytes(mp4.read_bytes())
    catalog.execute(
        "UPDATE recordings SET playback_path = ? WHERE id = ?", [playback_rel, recording["id"]]
    )
    played = client.get(f"/recordings/{recording['id']}/video")
    assert played.mimetype == "video/mp4"
    assert played.get_data() == mp4.read_bytes()
    downloaded = client.get(f"/recordings/{recording['id']}/download")
    assert downloaded.get_data() == avi.read_bytes()
    assert downloaded.mimetype == "video/x-msvideo"


def test_filter_by_camera_and_date_range(client, logged_in, owner, make_camera, store_recording):
    garden, porch = make_camera(owner, name="Garden"), make_camera(owner, name="Porch")
    g1 = store_recording(garden, "2026-11-20T10:00:00+00:00", poster=False)
    p1 = store_recording(porch, "2026-11-21T10:00:00+00:00", poster=False)
    g2 = store_recording(garden, "2026-11-22T23:59:59+00:00", poster=False)
    by_camera = client.get(f"/recordings?camera={garden['id']}").get_data(as_text=True)
    assert _ids_on_page(by_camera) == [g2["id"], g1["id"]]
    by_dates = client.get("/recordings?from=2026-11-21&to=2026-11-22").get_data(as_text=True)
    assert _ids_on_page(by_dates) == [g2["id"], p1["id"]]
    both = client.get(f"/recordings?camera={porch['id']}&from=2026-11-22").get_data(as_text=True)
    assert _ids_on_page(both) == []
    assert "No recordings match this filter." in both


def test_filter_by_label_uses_the_detection_labels(
    client, logged_in, owner, make_camera, store_recording, catalog
):
    camera = make_camera(owner)
    person = store_recording(camera, "2026-11-20T10:00:00+00:00", poster=False)
    car = store_recording(camera, "2026-11-21T10:00:00+00:00", poster=False)
    assert _ids_on_page(client.get("/recordings?label=person").get_data(as_text=True)) == []
    label_recording(catalog, person["id"], "person", first_s=2.0, last_s=9.5)
    label_recording(catalog, car["id"], "vehicle", score=0.8, first_s=0.0, last_s=4.0)
    html = client.get("/recordings?label=person").get_data(as_text=True)
    assert _ids_on_page(html) == [person["id"]]
    detail = client.get(f"/recordings/{person['id']}").get_data(as_text=True)
    assert 'data-seek="2.0"' in detail  # the timeline jumps the player to the detection
    assert "Person" in detail


def test_keyset_pages_walk_every_recording_once(
    app, client, logged_in, owner, make_camera, store_recording
):
    app.config["SETTINGS"].web.page_size = 2
    camera = make_camera(owner)
    made = [
        store_recording(camera, f"2026-11-2{day}T10:00:00+00:00", poster=False)["id"]
        for day in (1, 2, 2, 3, 4)
    ]
    seen, url = [], "/recordings"
    for _ in range(5):
        html = client.get(url).get_data(as_text=True)
        seen += _ids_on_page(html)
        match = re.search(r'href="([^"]+)" rel="next"', html)
        if not match:
            break
        url = match.group(1).replace("&amp;", "&")
    # Newest first; the two on the same second are ordered by id, newest id first.
    expected = [made[4], made[3], made[2], made[1], made[0]]
    assert seen == expected


def test_owner_releases_and_withdraws_a_recording(
    client, logged_in, owner, make_camera, store_recording, catalog
):
    recording = store_recording(make_camera(owner), poster=False)
    response = logged_in.post(
        f"/recordings/{recording['id']}/release",
        {"released": "1"},
        form_page=f"/recordings/{recording['id']}",
    )
    assert response.status_code == 302
    assert (
        catalog.execute(
            "SELECT released FROM recordings WHERE id = ?", [recording["id"]]
        ).fetchone()[0]
        == 1
    )
    logged_in.post(
        f"/recordings/{recording['id']}/release",
        {"released": "0"},
        form_page=f"/recordings/{recording['id']}",
    )
    assert (
        catalog.execute(
            "SELECT released FROM recordings WHERE id = ?", [recording["id"]]
        ).fetchone()[0]
        == 0
    )


def test_deleting_a_recording_removes_its_row_clip_and_poster(
    client, logged_in, owner, make_camera, store_recording, catalog, settings
):
    recording = store_recording(make_camera(owner))
    store = ClipStore(settings.storage)
    clip = store.recording_file(recording["path"])
    poster = store.thumb_file(recording["thumb_path"])
    assert clip.exists() and poster.exists()
    response = logged_in.post(
        f"/recordings/{recording['id']}/delete", form_page=f"/recordings/{recording['id']}"
    )
    assert response.status_code == 302
    assert not clip.exists() and not poster.exists()
    assert catalog.execute("SELECT count(*) FROM recordings").fetchone()[0] == 0
    assert client.get(f"/recordings/{recording['id']}").status_code == 404


def test_bulk_delete_removes_only_the_owners_selected_recordings(
    client, logged_in, owner, make_user, make_camera, store_recording, catalog
):
    mine = make_camera(owner)
    theirs = make_camera(make_user("other@example.com"))
    a, b, keep = (store_recording(mine, poster=False) for _ in range(3))
    foreign = store_recording(theirs, poster=False)
    response = logged_in.post(
        "/recordings/bulk",
        {"action": "delete", "ids": [a["id"], b["id"], foreign["id"]]},
        form_page="/recordings",
    )
    assert response.status_code == 302
    left = {row[0] for row in catalog.execute("SELECT id FROM recordings")}
    assert left == {keep["id"], foreign["id"]}


def test_bulk_release_marks_the_selected_recordings(
    client, logged_in, owner, make_camera, store_recording, catalog
):
    camera = make_camera(owner)
    a, b = store_recording(camera, poster=False), store_recording(camera, poster=False)
    logged_in.post(
        "/recordings/bulk", {"action": "release", "ids": [a["id"]]}, form_page="/recordings"
    )
    released = dict(catalog.execute("SELECT id, released FROM recordings").fetchall())
    assert released == {a["id"]: 1, b["id"]: 0}


def test_clip_waiting_for_detection_shows_analysing_until_its_labels_are_in(
    client, logged_in, owner, make_camera, store_recording, catalog
):
    recording = store_recording(make_camera(owner), "2026-11-25T13:05:01+00:00")
    register_job(catalog, {"upload_id": "waiting1", "camera_id": recording["camera_id"]})
    advance_job(catalog, "waiting1", JobState.ANALYSING, recording_id=recording["id"])

    assert "analysing…" in client.get("/recordings").get_data(as_text=True)
    detail = client.get(f"/recordings/{recording['id']}").get_data(as_text=True)
    assert "Analysing… labels appear here" in detail
    [row] = search_recordings(catalog, RecordingFilter(owner_id=owner["id"])).rows
    assert public_recording(row)["analysing"] is True

    advance_job(catalog, "waiting1", JobState.ANALYSED)
    assert "analysing…" not in client.get("/recordings").get_data(as_text=True)
    [row] = search_recordings(catalog, RecordingFilter(owner_id=owner["id"])).rows
    assert public_recording(row)["analysing"] is False


@pytest.mark.parametrize("back", ["/recordings\n/x", "/recordings\\..\\\\evil.example", "//x"])
def test_bulk_action_goes_back_only_to_a_plain_recordings_path(logged_in, back):
    response = logged_in.post(
        "/recordings/bulk", {"action": "release", "ids": [], "back": back}, form_page="/recordings"
    )
    assert (response.status_code, response.headers["Location"]) == (302, "/recordings")
