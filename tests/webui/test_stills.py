"""Stills in the web UI: shown on the clip's page and as snapshot-only events in the list,
served only to the recording's owner, deleted with the recording; the camera page switches
snapshot keeping; the admin's list counts refused snapshots per camera instead of listing each."""

from __future__ import annotations

import re

import pytest

from core.catalog import atomic
from core.catalog.cameras import get_camera
from core.catalog.rejections import insert_rejection
from core.clipstore import ClipStore

# Pages that read and write through the catalog: on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines


@pytest.fixture
def owner(make_user):
    return make_user("owner@example.com")


@pytest.fixture
def logged_in(auth, owner):
    auth.login_as(owner)
    return auth


def test_the_clip_page_shows_its_stills_and_serves_them_to_the_owner(
    client, logged_in, owner, make_camera, store_recording, store_still, settings
):
    camera = make_camera(owner)
    recording = store_recording(camera)
    still = store_still(camera)
    html = client.get(f"/recordings/{recording['id']}").get_data(as_text=True)

    url = f"/recordings/{recording['id']}/stills/{still['id']}"
    assert f'src="{url}"' in html
    assert re.search(r"<video[^>]+src=", html)
    picture = client.get(url)
    assert picture.status_code == 200
    assert picture.mimetype == "image/jpeg"
    assert picture.data == ClipStore(settings.storage).recording_file(still["path"]).read_bytes()


def test_a_snapshot_only_event_is_listed_and_shown_without_a_player(
    client, logged_in, owner, make_camera, store_still
):
    camera = make_camera(owner, name="Gate")
    still = store_still(camera)
    listing = client.get("/recordings").get_data(as_text=True)
    [recording_id] = [int(x) for x in re.findall(r'data-recording-id="(\d+)"', listing)]
    assert recording_id == still["recording_id"]
    assert 'class="tag snapshot"' in listing

    html = client.get(f"/recordings/{recording_id}").get_data(as_text=True)
    assert "<video" not in html
    assert "Snapshots only" in html
    assert f'src="/recordings/{recording_id}/stills/{still["id"]}"' in html


def test_another_account_gets_404_for_a_still(
    client, auth, owner, make_user, make_camera, store_still
):
    still = store_still(make_camera(owner))
    url = f"/recordings/{still['recording_id']}/stills/{still['id']}"
    auth.login_as(owner)
    assert client.get(url).status_code == 200
    auth.logout()
    auth.login_as(make_user("other@example.com"))
    assert client.get(url).status_code == 404
    assert client.get(f"/recordings/{still['recording_id']}").status_code == 404


def test_deleting_the_recording_deletes_its_stills(
    client, logged_in, owner, make_camera, store_recording, store_still, settings, catalog
):
    camera = make_camera(owner)
    recording = store_recording(camera)
    still = store_still(camera)
    stored = ClipStore(settings.storage).recording_file(still["path"])
    assert stored.is_file()

    logged_in.post(f"/recordings/{recording['id']}/delete", form_page="/recordings")

    assert not stored.exists()
    assert catalog.execute("SELECT count(*) FROM stills").fetchone()[0] == 0


def test_the_owner_switches_snapshot_keeping_off_and_on(
    client, logged_in, owner, make_camera, catalog
):
    camera = make_camera(owner)
    page = f"/cameras/{camera['id']}"
    assert 'name="keep" value="1" checked' in client.get(page).get_data(as_text=True)

    logged_in.post(f"{page}/snapshots", {}, form_page=page)
    assert get_camera(catalog, camera["id"])["keep_snapshots"] == 0
    assert 'name="keep" value="1" checked' not in client.get(page).get_data(as_text=True)

    logged_in.post(f"{page}/snapshots", {"keep": "1"}, form_page=page)
    assert get_camera(catalog, camera["id"])["keep_snapshots"] == 1


def test_another_account_cannot_switch_a_cameras_snapshots(
    client, auth, owner, make_user, make_camera, catalog
):
    camera = make_camera(owner)
    auth.login_as(make_user("other@example.com"))
    response = auth.post(f"/cameras/{camera['id']}/snapshots", {}, form_page="/cameras")
    assert response.status_code == 404
    assert get_camera(catalog, camera["id"])["keep_snapshots"] == 1


def test_refused_snapshots_are_counted_per_camera_not_listed_one_by_one(
    client, auth, make_user, make_camera, catalog
):
    camera = make_camera(make_user())
    with atomic(catalog):
        for number in range(40):
            job = {
                "id": f"job-snap-{number}",
                "camera_id": camera["id"],
                "protocol": "ftp",
                "original_name": f"T20261125_1000{number:02d}.jpg",
                "size_bytes": 90_000,
                "received_at": f"2026-11-25T10:00:{number:02d}+00:00",
            }
            insert_rejection(catalog, job, "snapshots_off", "a JPEG snapshot; switched off")
        insert_rejection(
            catalog,
            {**job, "id": "job-bad", "original_name": "A20261125.mp4"},
            "not_video",
            "no container signature",
        )
    auth.login_as(make_user("root@example.com", is_admin=True))
    html = client.get("/admin/rejections").get_data(as_text=True)

    counted = re.search(r'id="routine-rejections".*?</table>', html, re.S).group(0)
    assert re.search(r"<code>snapshots_off</code></td><td>40</td>", counted)
    assert "T20261125_100001.jpg" not in html
    assert "A20261125.mp4" in html and "not_video" in html
