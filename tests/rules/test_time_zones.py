"""Times in zones: the file-name time in the camera's zone, the zone suggested from a camera's
first clips, the viewer's day and hour as UTC bounds, and how a time reads in a mail."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from core.notification_rules import mail_text, recording_payload
from core.settings.pipeline import PipelineSettings
from core.timestamps import (
    format_local,
    iso_in_zone,
    local_window,
    rounded_offset_min,
    started_at_from_name,
    suggest_zone,
    time_in_name,
)

PATTERNS = PipelineSettings().timestamp_patterns


def _samples(offset: timedelta, *received: str, lag_s: int = 40):
    """(name time, upload completion) pairs of a camera whose clock is ``offset`` from UTC."""
    pairs = []
    for text in received:
        done = datetime.fromisoformat(text).replace(tzinfo=UTC)
        name_time = (done - timedelta(seconds=lag_s) + offset).replace(tzinfo=None)
        pairs.append((name_time, done))
    return pairs


def test_file_name_time_is_read_in_the_cameras_zone_and_stored_in_utc():
    name = "A20261125_140501.mp4"
    assert time_in_name(name, PATTERNS) == datetime(2026, 11, 25, 14, 5, 1)
    assert started_at_from_name(name, PATTERNS, "Europe/Berlin", "x") == "2026-11-25T13:05:01+00:00"
    # Summer time: two hours.
    summer = started_at_from_name("A20260701_140501.mp4", PATTERNS, "Europe/Berlin", "x")
    assert summer == "2026-07-01T12:05:01+00:00"
    assert started_at_from_name("clip.mp4", PATTERNS, "Europe/Berlin", "fallback") == "fallback"


def test_an_unknown_zone_reads_as_utc_instead_of_failing():
    assert started_at_from_name("A20261125_140501.mp4", PATTERNS, "Mars/Olympus", "x") == (
        "2026-11-25T14:05:01+00:00"
    )


def test_upload_lag_rounds_away_to_the_quarter_hour():
    name_time = datetime(2026, 11, 25, 14, 5, 1)
    assert rounded_offset_min(name_time, datetime(2026, 11, 25, 13, 6, 30, tzinfo=UTC)) == 60
    assert rounded_offset_min(name_time, datetime(2026, 11, 25, 14, 9, 0, tzinfo=UTC)) == 0
    assert rounded_offset_min(name_time, datetime(2026, 11, 25, 8, 20, 1, tzinfo=UTC)) == 345


def test_owners_zone_is_suggested_when_it_matches_the_cameras_offset():
    samples = _samples(timedelta(hours=1), "2026-11-25T13:06:00", "2026-11-26T07:00:00")
    suggestion = suggest_zone(samples, preferred=("Europe/Berlin",))
    assert suggestion is not None
    assert (suggestion.zone, suggestion.offset_min, suggestion.fixed) == (
        "Europe/Berlin",
        60,
        False,
    )
    assert suggestion.offset_text == "UTC+01:00"
    assert suggestion.samples == 2


def test_without_a_matching_place_a_fixed_offset_is_suggested():
    samples = _samples(timedelta(hours=1), "2026-11-25T13:06:00", "2026-11-26T07:00:00")
    # New York is not UTC+1: the owner's zone does not fit, so a fixed offset is offered.
    suggestion = suggest_zone(samples, preferred=("America/New_York",))
    assert suggestion is not None
    assert (suggestion.zone, suggestion.fixed) == ("Etc/GMT-1", True)
    assert (
        suggest_zone(_samples(timedelta(0), "2026-11-25T13:06:00", "2026-11-25T14:00:00")).zone
        == "UTC"
    )


def test_an_offset_no_etc_zone_has_finds_a_place():
    samples = _samples(timedelta(hours=5, minutes=45), "2026-11-25T13:06:00", "2026-11-25T15:00:00")
    suggestion = suggest_zone(samples)
    assert suggestion is not None
    assert suggestion.zone == "Asia/Kathmandu"
    assert suggestion.offset_text == "UTC+05:45"


def test_no_suggestion_from_one_clip_disagreeing_clips_or_an_impossible_offset():
    assert suggest_zone(_samples(timedelta(hours=1), "2026-11-25T13:06:00")) is None
    mixed = _samples(timedelta(hours=1), "2026-11-25T13:06:00") + _samples(
        timedelta(hours=3), "2026-11-25T14:06:00"
    )
    assert suggest_zone(mixed) is None
    wrong_clock = _samples(timedelta(days=3), "2026-11-25T13:06:00", "2026-11-25T14:06:00")
    assert suggest_zone(wrong_clock) is None


def test_viewer_day_is_25_hours_long_when_the_clock_falls_back():
    start, end = local_window(date(2026, 10, 25), "Europe/Berlin")
    assert (start, end) == ("2026-10-24T22:00:00+00:00", "2026-10-25T23:00:00+00:00")
    # The hour the clock goes back over holds both of its occurrences.
    assert local_window(date(2026, 10, 25), "Europe/Berlin", 2) == (
        "2026-10-25T00:00:00+00:00",
        "2026-10-25T02:00:00+00:00",
    )
    assert local_window(date(2026, 11, 25), "Europe/Berlin", 23)[1] == "2026-11-25T23:00:00+00:00"


def test_a_time_reads_in_the_viewers_zone_with_its_name_or_offset():
    stored = "2026-11-25T13:05:01+00:00"
    assert format_local(stored, "Europe/Berlin") == "2026-11-25 14:05:01 CET"
    assert format_local(stored, None) == "2026-11-25 13:05:01 UTC"
    assert iso_in_zone(stored, "America/New_York") == "2026-11-25T08:05:01-05:00"
    assert iso_in_zone(None, "Europe/Berlin") is None


def test_alarm_mail_names_the_time_in_the_owners_zone():
    payload = recording_payload(
        {
            "id": 7,
            "camera_id": 1,
            "camera_name": "Garden",
            "started_at": "2026-11-25T13:05:01+00:00",
            "duration_s": 18.0,
            "labels": ["person"],
        }
    )
    _, body = mail_text(payload, "Europe/Berlin")
    assert "2026-11-25 14:05:01 CET" in body
    assert "(UTC)" not in body
