"""Recordings (filters, latest, signed download links), alarm events and storage status."""

from __future__ import annotations

import functools
import json
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from cli import main
from tests.conftest import label_recording

# The REST API over the real Flask app, on a SQLite catalog and on PostgreSQL.
pytestmark = pytest.mark.both_engines

# Two days just behind us, so "the last N days" keeps holding whenever the suite runs.
_TODAY = datetime.now(UTC).date()
OLD_DAY = (_TODAY - timedelta(days=2)).isoformat()
NEW_DAY = (_TODAY - timedelta(days=1)).isoformat()


@pytest.fixture
def clips(alice, bob, store_recording, catalog):
    store_recording = functools.partial(store_recording, poster=False)
    """Three recordings of alice's camera on two days (one with a person), one of bob's."""
    made = {
        "old": store_recording(alice.camera, started_at=f"{OLD_DAY}T08:00:00+00:00"),
        "person": store_recording(alice.camera, started_at=f"{NEW_DAY}T09:00:00+00:00"),
        "new": store_recording(alice.camera, started_at=f"{NEW_DAY}T10:00:00+00:00"),
        "bobs": store_recording(bob.camera, started_at=f"{NEW_DAY}T11:00:00+00:00"),
    }
    label_recording(catalog, made["person"]["id"], "person")
    return made


def ids(response) -> list[int]:
    return [item["id"] for item in response.json["items"]]


def test_recordings_are_listed_newest_first_with_filters(alice, clips):
    assert ids(alice.get("/recordings", scope="read")) == [
        clips["new"]["id"],
        clips["person"]["id"],
        clips["old"]["id"],
    ]
    assert ids(alice.get("/recordings?label=person")) == [clips["person"]["id"]]
    assert ids(alice.get(f"/recordings?since={NEW_DAY}&until={NEW_DAY}")) == [
        clips["new"]["id"],
        clips["person"]["id"],
    ]
    assert ids(alice.get(f"/recordings?camera_id={alice.camera['id']}&until={OLD_DAY}")) == [
        clips["old"]["id"]
    ]


def test_recordings_page_with_a_cursor(alice, clips):
    first = alice.get("/recordings?limit=2")
    assert len(first.json["items"]) == 2
    second = alice.get(f"/recordings?limit=2&cursor={first.json['next_cursor']}")
    assert ids(second) == [clips["old"]["id"]] and second.json["next_cursor"] is None


def test_the_latest_recording_and_one_recording(alice, clips):
    assert alice.get("/recordings/latest").json["id"] == clips["new"]["id"]
    assert alice.get("/recordings/latest?label=person").json["id"] == clips["person"]["id"]
    one = alice.get(f"/recordings/{clips['person']['id']}").json
    assert one["labels"] == ["person"] and one["codec"] == "h264"


def test_the_cli_lists_recordings_exactly_as_the_api_shows_them(alice, clips, config_file, capsys):
    args = ["--config", str(config_file), "recordings", "list", "--json"]
    assert main([*args, "--camera", str(alice.camera["id"])]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [item["labels"] for item in listed] == [[], ["person"], []]
    assert listed == alice.get("/recordings").json["items"]


def test_a_signed_link_downloads_the_clip_without_a_token_header(client, alice, clips):
    response = alice.call("POST", f"/recordings/{clips['new']['id']}/download-url", scope="read")
    assert response.status_code == 200
    url = urlsplit(response.json["url"])
    download = client.get(f"{url.path}?{url.query}")
    assert download.status_code == 200
    assert download.mimetype == "video/mp4"
    assert download.data[4:8] == b"ftyp"
    assert "attachment" in download.headers["Content-Disposition"]


def test_a_tampered_expired_or_revoked_link_is_refused(client, app, alice, clips):
    url = urlsplit(alice.call("POST", f"/recordings/{clips['new']['id']}/download-url").json["url"])
    query = {key: values[0] for key, values in parse_qs(url.query).items()}

    def fetch(path: str = url.path, **changes) -> int:
        params = "&".join(f"{key}={value}" for key, value in {**query, **changes}.items())
        return client.get(f"{path}?{params}").status_code

    assert fetch(signature="0" * 64) == 403
    assert fetch(expires=int(query["expires"]) + 1) == 403
    assert fetch(path=f"/api/v1/downloads/{clips['bobs']['id']}") == 403
    assert fetch(expires=int(time.time()) - 1) == 403
    token_id = int(query["token"])
    assert alice.call("DELETE", f"/tokens/{token_id}", scope="read").status_code == 204
    assert fetch() == 403


def test_recent_events_and_counts_per_camera_and_day(alice, clips):
    events = alice.get("/events?limit=2", scope="read").json["items"]
    assert [event["recording_id"] for event in events] == [
        clips["new"]["id"],
        clips["person"]["id"],
    ]
    assert events[1]["labels"] == ["person"]
    counts = alice.get("/events/counts?days=7").json
    assert counts["items"] == [
        {"camera_id": alice.camera["id"], "day": OLD_DAY, "count": 1},
        {"camera_id": alice.camera["id"], "day": NEW_DAY, "count": 2},
    ]


def test_storage_status_counts_only_the_callers_recordings(alice, clips, settings):
    status = alice.get("/storage", scope="read").json
    mine = [clips[key] for key in ("old", "person", "new")]
    assert status["used_bytes"] == sum(clip["size_bytes"] for clip in mine)
    assert status["recordings"] == 3
    assert status["oldest_recording_at"] == f"{OLD_DAY}T08:00:00+00:00"
    assert status["quota_bytes"] == settings.storage.default_quota_mb * 1024 * 1024
    assert 0 < status["used_percent"] < 100


def test_bad_query_values_are_400_not_500(alice):
    for query in (
        "since=yesterday",
        "limit=0",
        "limit=99999",
        "cursor=nonsense",
        "camera_id=abc",
    ):
        assert alice.get(f"/recordings?{query}").status_code == 400, query


def test_a_range_that_ends_before_it_starts_is_empty_not_an_error(alice):
    answer = alice.get("/recordings?since=2026-11-25&until=2026-11-01")
    assert (answer.status_code, answer.json["items"]) == (200, [])
