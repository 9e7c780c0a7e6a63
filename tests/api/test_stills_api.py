"""Stills in the REST API: a recording lists its stills and kind, each still's picture is
served to its owner (read scope) and is 404 for anyone else; a camera says whether it keeps
snapshots."""

from __future__ import annotations

import pytest

from core.clipstore import ClipStore

# The REST API over the real Flask app, on a SQLite catalog and on PostgreSQL.
pytestmark = pytest.mark.both_engines


def test_a_recording_lists_its_stills_and_serves_each_picture(
    alice, settings, store_recording, store_still
):
    recording = store_recording(alice.camera, poster=False)
    still = store_still(alice.camera, "2026-11-25T13:05:04+00:00")
    stored = ClipStore(settings.storage).recording_file(still["path"]).read_bytes()

    shown = alice.get(f"/recordings/{recording['id']}", scope="read").json
    assert shown["kind"] == "clip"
    assert shown["stills"] == [
        {
            "id": still["id"],
            "taken_at": "2026-11-25T13:05:04+00:00",
            "width": 1280,
            "height": 720,
            "size_bytes": len(stored),
        }
    ]
    assert shown["size_bytes"] == recording["size_bytes"] + len(stored)
    listed = alice.get("/recordings", scope="read").json["items"]
    assert [item["stills"] for item in listed] == [shown["stills"]]

    picture = alice.get(f"/recordings/{recording['id']}/stills/{still['id']}", scope="read")
    assert picture.status_code == 200
    assert picture.mimetype == "image/jpeg"
    assert picture.data == stored


def test_a_snapshot_only_recording_and_someone_elses_still(alice, api_user, store_still):
    still = store_still(alice.camera)
    [item] = alice.get("/recordings").json["items"]
    assert (item["kind"], item["duration_s"], item["codec"]) == ("snapshot", 0.0, "jpeg")
    assert [s["id"] for s in item["stills"]] == [still["id"]]
    url = f"/recordings/{item['id']}/stills/{still['id']}"
    assert alice.get(url).status_code == 200

    bob = api_user("bob@example.com")
    refused = bob.get(url)
    assert refused.status_code == 404
    assert refused.json["error"] == "not_found"
    # A still id under another recording of the owner's is not found either.
    other = store_still(alice.camera, "2026-11-25T18:00:00+00:00")
    assert alice.get(f"/recordings/{item['id']}/stills/{other['id']}").status_code == 404


def test_a_camera_says_whether_it_keeps_snapshots(alice, catalog):
    assert alice.get(f"/cameras/{alice.camera['id']}").json["keep_snapshots"] is True
    catalog.execute("UPDATE cameras SET keep_snapshots = 0 WHERE id = ?", [alice.camera["id"]])
    assert alice.get("/cameras").json["items"][0]["keep_snapshots"] is False
