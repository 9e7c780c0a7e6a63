"""The statistics page: known alarms in, the right numbers out, per account and per camera, in
the viewer's days; the charts are SVG with a title and a description, and each has a table."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.catalog import atomic, utcnow
from core.catalog.recordings import insert_recording
from core.catalog.storage_stats import record_storage_usage
from core.catalog.time_zones import set_user_timezone
from webui.formatting import format_size

# Pages that read and write through the catalog: on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines

BERLIN = ZoneInfo("Europe/Berlin")


def add_alarm(catalog, camera, started: datetime, labels=(), checked=False, cause=None, size=1000):
    with atomic(catalog):
        recording_id = insert_recording(
            catalog,
            {
                "camera_id": camera["id"],
                "job_id": uuid.uuid4().hex,
                "started_at": started.astimezone(UTC).isoformat(timespec="seconds"),
                "received_at": utcnow(),
                "duration_s": 18.0,
                "width": 1280,
                "height": 720,
                "fps": 15.0,
                "frame_count": 270,
                "codec": "h264",
                "container": "mp4",
                "size_bytes": size,
                "path": f"{camera['id']}/x/{uuid.uuid4().hex}.mp4",
            },
        )
        for label in labels:
            catalog.execute(
                "INSERT INTO recording_labels (recording_id, label, best_score, first_s, last_s)"
                " VALUES (?, ?, 0.9, 1, 5)",
                [recording_id, label],
            )
        if checked:
            catalog.execute(
                "INSERT INTO detection_runs (recording_id, analyzed_at, switches, model,"
                " keyframes, extra_frames, detector_runs, false_alarm_cause, elapsed_ms)"
                " VALUES (?, ?, 'objects,false_alarm', 'test', 9, 0, 9, ?, 100)",
                [recording_id, utcnow(), cause],
            )
    return recording_id


def cells(html: str, table: str) -> dict[str, list[str]]:
    """Rows of a figures table by their data-* key: the cell texts after the first."""
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    found = {}
    for key, row in re.findall(r'<tr data-\w+="([^"]+)">(.*?)</tr>', body, re.S):
        found[key] = re.findall(r"<td>(.*?)</td>", row, re.S)[1:]
    return found


def test_statistics_count_alarms_false_alarms_labels_and_storage_in_the_viewers_days(
    client, auth, catalog, make_user, make_camera
):
    owner = make_user("stats@example.com")
    set_user_timezone(catalog, owner["id"], "Europe/Berlin")
    garden, porch = make_camera(owner, name="Garden"), make_camera(owner, name="Porch")
    stranger = make_camera(make_user("other@example.com"), name="Elsewhere")
    today = datetime.now(BERLIN).date()
    yesterday = today - timedelta(days=1)
    at = lambda day, hour, minute=0: datetime.combine(day, time(hour, minute), BERLIN)  # noqa: E731
    # 00:30 in Berlin is the day before in UTC: it counts for the viewer's today.
    add_alarm(catalog, garden, at(today, 0, 30), labels=("person",), checked=True)
    add_alarm(catalog, garden, at(yesterday, 8), labels=("person", "vehicle"), checked=True)
    add_alarm(catalog, garden, at(yesterday, 9), checked=True, cause="rain")
    add_alarm(catalog, garden, at(yesterday, 10), checked=True, cause="lighting")
    add_alarm(catalog, porch, at(yesterday, 11), checked=True, cause="rain")
    add_alarm(catalog, porch, at(yesterday, 12))  # not analysed: not in the false-alarm share
    add_alarm(catalog, garden, at(today - timedelta(days=40), 12))  # older than 30 days
    add_alarm(catalog, stranger, at(yesterday, 8), checked=True, cause="rain")
    record_storage_usage(catalog, utcnow(), 10**12, 10**11, 9 * 10**11)

    auth.login_as(owner)
    html = client.get("/statistics").get_data(as_text=True)
    assert re.search(r'id="stat-alarms">6<', html)
    assert "3 of 5 checked (60 %)" in html
    days = cells(html, "alarms-table")
    assert len(days) == 30
    assert days[today.isoformat()] == ["1", "0"]
    assert days[yesterday.isoformat()] == ["5", "3"]
    assert sum(int(alarms) for alarms, _ in days.values()) == 6
    assert {cause: row[0] for cause, row in cells(html, "causes-table").items()} == {
        "rain": "2",
        "lighting": "1",
    }
    assert {label: row[0] for label, row in cells(html, "seen-table").items()} == {
        "person": "2",
        "vehicle": "1",
    }
    stored = cells(html, "storage-table")
    # Storage is what the daily count found: all 7 of the owner's recordings, 1000 bytes each.
    assert stored[datetime.now(UTC).date().isoformat()] == [format_size(7000)]
    assert "7 recordings, " + format_size(7000) in html
    # Every chart is an accessible image: a title and a description that says the figures.
    charts = re.findall(r"<svg class=\"chart\"[^>]*>(.*?)</svg>", html, re.S)
    assert len(charts) == 4
    for chart in charts:
        assert "<title" in chart and "<desc" in chart
    assert "6 alarms in 30 days, 3 of them false alarms" in html

    porch_page = client.get(f"/statistics?camera={porch['id']}").get_data(as_text=True)
    assert re.search(r'id="stat-alarms">2<', porch_page)
    assert "1 of 1 checked (100 %)" in porch_page
    assert client.get(f"/statistics?camera={stranger['id']}").status_code == 404


def test_statistics_of_an_account_without_alarms_say_so(client, auth, make_user):
    owner = make_user("quiet@example.com")
    auth.login_as(owner)
    html = client.get("/statistics").get_data(as_text=True)
    assert re.search(r'id="stat-alarms">0<', html)
    assert "No false alarms in these days." in html
    # Not measured yet: today's storage point is what is stored now.
    assert cells(html, "storage-table") == {date.today().isoformat(): [format_size(0)]}


def test_the_daily_storage_count_keeps_one_row_per_camera_and_day(catalog, make_user, make_camera):
    camera = make_camera(make_user("count@example.com"))
    add_alarm(catalog, camera, datetime.now(UTC), size=500)
    record_storage_usage(catalog, "2026-12-01T03:00:00+00:00", 10, 5, 5)
    add_alarm(catalog, camera, datetime.now(UTC), size=700)
    record_storage_usage(catalog, "2026-12-01T15:00:00+00:00", 10, 5, 5)  # same day: replaced
    record_storage_usage(catalog, "2026-12-02T03:00:00+00:00", 10, 5, 5)
    rows = catalog.execute(
        "SELECT day, recordings, bytes FROM storage_history WHERE camera_id = ? ORDER BY day",
        [camera["id"]],
    ).fetchall()
    assert rows == [("2026-12-01", 2, 1200), ("2026-12-02", 2, 1200)]
