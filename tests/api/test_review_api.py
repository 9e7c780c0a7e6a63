"""The API's reviewed state (field, filter, one recording, every recording of a filter) and
its times: ISO 8601 with the offset of the account's zone."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from core.catalog.time_zones import set_user_timezone

# The REST API over the real Flask app, on a SQLite catalog and on PostgreSQL.
pytestmark = pytest.mark.both_engines


@pytest.fixture
def clips(alice, bob, store_recording):
    store = functools.partial(store_recording, poster=False)
    return {
        "early": store(alice.camera, started_at="2026-11-25T08:00:00+00:00"),
        "late": store(alice.camera, started_at="2026-11-25T13:05:01+00:00"),
        "bobs": store(bob.camera, started_at="2026-11-25T11:00:00+00:00"),
    }


def test_recordings_carry_their_reviewed_state_and_filter_by_it(alice, clips):
    items = alice.get("/recordings", scope="read").json["items"]
    assert {item["reviewed"] for item in items} == {False}
    assert {item["reviewed_at"] for item in items} == {None}
    answer = alice.call(
        "POST", f"/recordings/{clips['late']['id']}/review", scope="read", json={"reviewed": True}
    )
    assert answer.status_code == 200
    assert answer.json["reviewed"] is True
    assert answer.json["reviewed_at"].endswith("+00:00")
    unreviewed = alice.get("/recordings?reviewed=false").json["items"]
    assert [item["id"] for item in unreviewed] == [clips["early"]["id"]]
    reviewed = alice.get("/recordings?reviewed=true").json["items"]
    assert [item["id"] for item in reviewed] == [clips["late"]["id"]]
    back = alice.call("POST", f"/recordings/{clips['late']['id']}/review", json={"reviewed": False})
    assert back.json["reviewed"] is False


def test_review_body_and_filter_are_checked(alice, clips):
    path = f"/recordings/{clips['late']['id']}/review"
    assert alice.call("POST", path, json={"reviewed": "yes"}).status_code == 422
    assert alice.call("POST", path, json={"reviewed": True, "x": 1}).status_code == 422
    assert alice.get("/recordings?reviewed=maybe").status_code == 400


def test_marking_someone_elses_recording_is_not_found(alice, clips):
    answer = alice.call(
        "POST", f"/recordings/{clips['bobs']['id']}/review", json={"reviewed": True}
    )
    assert answer.status_code == 404


def test_mark_reviewed_marks_what_the_filter_matches_and_nothing_of_others(alice, bob, clips):
    answer = alice.call("POST", "/recordings/mark-reviewed?since=2026-11-25&until=2026-11-25")
    assert answer.json == {"marked": 2}
    assert alice.call("POST", "/recordings/mark-reviewed").json == {"marked": 0}
    assert [item["reviewed"] for item in bob.get("/recordings").json["items"]] == [False]


def test_times_come_in_the_accounts_zone_with_offset(alice, clips, catalog):
    set_user_timezone(catalog, alice.user["id"], "Europe/Berlin")
    item = alice.get(f"/recordings/{clips['late']['id']}").json
    assert item["started_at"] == "2026-11-25T14:05:01+01:00"
    event = alice.get("/events").json["items"][0]
    assert event["started_at"] == "2026-11-25T14:05:01+01:00"
    storage = alice.get("/storage").json
    assert storage["oldest_recording_at"] == "2026-11-25T09:00:00+01:00"
    link = alice.call("POST", f"/recordings/{clips['late']['id']}/download-url").json
    assert link["expires_at"].endswith(("+01:00", "+02:00"))


def test_alarm_counts_use_the_days_of_the_accounts_zone(alice, store_recording, catalog):
    set_user_timezone(catalog, alice.user["id"], "Asia/Tokyo")
    today_tokyo = datetime.now(ZoneInfo("Asia/Tokyo")).replace(hour=0, minute=30, second=0)
    # 00:30 in Tokyo is the evening before in UTC: it counts on Tokyo's day.
    stamp = today_tokyo.astimezone(UTC).isoformat(timespec="seconds")
    store_recording(alice.camera, started_at=stamp, poster=False)
    counts = alice.get("/events/counts?days=1").json
    assert counts["since"] == today_tokyo.date().isoformat()
    assert counts["items"] == [
        {"camera_id": alice.camera["id"], "day": today_tokyo.date().isoformat(), "count": 1}
    ]
