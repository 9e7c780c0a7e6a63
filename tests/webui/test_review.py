"""Review, not browse (test client): times in the viewer's zone, days and activity strips,
the hour filter, the reviewed state and its counts, previous/next keeping the filter, and the
camera's file-name zone (suggested, confirmed, earlier recordings re-filed)."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.catalog.time_zones import set_user_timezone
from core.catalog.users import set_user_language
from tests.conftest import label_recording
from webui.formatting import day_name

# Pages that read and write through the catalog: on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines


@pytest.fixture
def owner(make_user, catalog):
    user = make_user("vera@example.com")
    set_user_timezone(catalog, user["id"], "Europe/Berlin")
    return user


@pytest.fixture
def logged_in(auth, owner):
    auth.login_as(owner)
    return auth


@pytest.fixture
def store(store_recording):
    return functools.partial(store_recording, poster=False)


def _ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-recording-id="(\d+)"', html)]


def _label(catalog, recording: dict, label: str) -> None:
    label_recording(catalog, recording["id"], label)


def test_times_show_in_the_viewers_zone(client, logged_in, owner, make_camera, store):
    recording = store(make_camera(owner), "2026-11-25T13:05:01+00:00")
    listing = client.get("/recordings?day=2026-11-25").get_data(as_text=True)
    assert ">14:05:01</time>" in listing
    detail = client.get(f"/recordings/{recording['id']}").get_data(as_text=True)
    assert "2026-11-25 14:05:01 CET" in detail
    assert "13:05:01" not in detail


def test_account_page_sets_the_viewer_zone_and_the_browser_never_overrides_it(
    client, logged_in, owner, catalog
):
    response = logged_in.post("/account/timezone", {"timezone": "America/New_York"})
    assert response.status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert "<option selected>America/New_York</option>" in page
    answer = logged_in.post("/account/timezone/browser", {"timezone": "Asia/Tokyo"})
    assert answer.json == {"changed": False, "timezone": "Asia/Tokyo"}
    row = catalog.execute("SELECT timezone FROM users WHERE id = ?", [owner["id"]]).fetchone()
    assert row[0] == "America/New_York"
    bad = logged_in.post("/account/timezone", {"timezone": "../../etc/passwd"})
    assert bad.status_code == 302
    assert "Please choose a time zone" in client.get("/account").get_data(as_text=True)


def test_first_page_view_asks_the_browser_for_its_zone_until_one_is_stored(
    client, auth, make_user, catalog
):
    newcomer = make_user("new@example.com")
    auth.login_as(newcomer)
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'data-zone-url="/account/timezone/browser"' in page
    answer = auth.post("/account/timezone/browser", {"timezone": "Europe/Berlin"})
    assert answer.json["changed"] is True
    assert "data-zone-url" not in client.get("/dashboard").get_data(as_text=True)
    assert auth.post("/account/timezone/browser", {"timezone": "Nowhere/X"}).status_code == 400


def test_recordings_are_grouped_by_the_viewers_day_with_today_and_yesterday(
    app, client, logged_in, owner, make_camera, store
):
    camera = make_camera(owner)
    now = datetime.now(UTC).replace(microsecond=0)
    berlin_today = now.astimezone(ZoneInfo("Europe/Berlin")).date()
    stamps = [now - timedelta(minutes=5), now - timedelta(days=1), now - timedelta(days=3)]
    for stamp in stamps:
        store(camera, stamp.isoformat())
    html = client.get("/recordings").get_data(as_text=True)
    headings = re.findall(r'<h2 id="day-[^"]+">([^<]+)', html)
    three_days_ago = berlin_today - timedelta(days=3)
    assert [h.strip() for h in headings][:2] == ["Today", "Yesterday"]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        older = day_name(three_days_ago, berlin_today)
    assert headings[2].strip() == older
    assert older.endswith(str(three_days_ago.year))


def test_german_today_and_yesterday_headings_keep_their_date(
    client, logged_in, owner, make_camera, store, catalog
):
    set_user_language(catalog, owner["id"], "de")
    camera = make_camera(owner)
    now = datetime.now(UTC).replace(microsecond=0)
    berlin_today = now.astimezone(ZoneInfo("Europe/Berlin")).date()
    for stamp in (now - timedelta(minutes=5), now - timedelta(days=1), now - timedelta(days=3)):
        store(camera, stamp.isoformat())
    html = client.get("/recordings").get_data(as_text=True)
    headings = re.findall(r'<h2 id="day-[^"]+">(.*?)</h2>', html)
    yesterday = berlin_today - timedelta(days=1)
    assert headings[:2] == [
        f"Heute <small>{berlin_today.isoformat()}</small>",
        f"Gestern <small>{yesterday.isoformat()}</small>",
    ]
    # An older day names its date in words and needs no second one.
    assert "<small>" not in headings[2]
    assert str((berlin_today - timedelta(days=3)).year) in headings[2]


def test_day_boundary_is_the_viewers_midnight_not_utc(client, logged_in, owner, make_camera, store):
    camera = make_camera(owner)
    # 23:30 UTC on the 24th is 00:30 on the 25th in Berlin.
    late = store(camera, "2026-11-24T23:30:00+00:00")
    store(camera, "2026-11-24T22:30:00+00:00")
    html = client.get("/recordings?day=2026-11-25").get_data(as_text=True)
    assert _ids(html) == [late["id"]]


def test_activity_strip_counts_alarms_per_hour_by_what_was_seen_and_links_filter(
    client, logged_in, owner, make_camera, store, catalog
):
    garden = make_camera(owner, name="Garden")
    porch = make_camera(owner, name="Porch")
    person = store(garden, "2026-11-25T13:05:00+00:00")  # 14:05 Berlin
    motion = store(garden, "2026-11-25T13:40:00+00:00")
    car = store(garden, "2026-11-25T17:10:00+00:00")  # 18:10 Berlin
    store(porch, "2026-11-25T13:20:00+00:00")
    _label(catalog, person, "person")
    _label(catalog, car, "vehicle")
    html = client.get("/recordings?from=2026-11-25&to=2026-11-25").get_data(as_text=True)
    garden_14 = re.search(
        rf'<a class="hour" href="([^"]+)"[^>]*data-hour="14" data-camera="{garden["id"]}"'
        r'[^>]*aria-label="([^"]+)"',
        html,
    )
    assert garden_14, html
    href, label = garden_14.groups()
    assert label == "Garden, 14:00 to 15:00, 2 alarms: 1 person, 1 motion only"
    assert 'class="seen-person"' in html and 'class="seen-vehicle"' in html
    # An hour without alarms is no link.
    assert f'data-hour="13" data-camera="{garden["id"]}"' not in html
    filtered = client.get(href.replace("&amp;", "&")).get_data(as_text=True)
    assert sorted(_ids(filtered)) == sorted([person["id"], motion["id"]])
    assert 'aria-current="true"' in filtered
    assert "14:00\u201315:00" in filtered


def test_activity_strip_hours_are_the_viewers_hours_in_a_half_hour_zone(
    client, logged_in, owner, make_camera, store, catalog
):
    set_user_timezone(catalog, owner["id"], "Asia/Kolkata")  # UTC+05:30
    garden = make_camera(owner, name="Garden")
    store(garden, "2026-11-25T08:35:00+00:00")  # 14:05 in Kolkata
    seen = store(garden, "2026-11-25T09:25:00+00:00")  # 14:55
    store(garden, "2026-11-25T09:31:00+00:00")  # 15:01
    _label(catalog, seen, "animal")
    html = client.get("/recordings?day=2026-11-25").get_data(as_text=True)

    def hour_label(hour: int) -> str | None:
        found = re.search(
            rf'data-hour="{hour}" data-camera="{garden["id"]}" aria-label="([^"]+)"', html
        )
        return found.group(1) if found else None

    assert hour_label(14) == "Garden, 14:00 to 15:00, 2 alarms: 1 animal, 1 motion only"
    assert hour_label(15) == "Garden, 15:00 to 16:00, 1 alarm: 1 motion only"
    assert hour_label(9) is None and hour_label(8) is None  # not UTC's hours


def test_activity_strip_hours_hold_both_halves_of_the_hour_a_clock_falls_back_over(
    client, logged_in, owner, make_camera, store, catalog
):
    # Whole hours off UTC: the strips are summed per UTC hour by the catalog. 2026-10-25 in
    # Berlin is 25 hours long, 02:00-03:00 comes twice (CEST, then CET).
    set_user_timezone(catalog, owner["id"], "Europe/Berlin")
    garden = make_camera(owner, name="Garden")
    store(garden, "2026-10-24T23:20:00+00:00")  # 01:20 CEST
    store(garden, "2026-10-25T00:10:00+00:00")  # 02:10 CEST
    seen = store(garden, "2026-10-25T01:50:00+00:00")  # 02:50 CET
    store(garden, "2026-10-25T22:59:00+00:00")  # 23:59 CET
    store(garden, "2026-10-25T23:00:00+00:00")  # 00:00 on the 26th: another day
    _label(catalog, seen, "person")
    html = client.get("/recordings?day=2026-10-25").get_data(as_text=True)
    labels = dict(
        re.findall(rf'data-hour="(\d+)" data-camera="{garden["id"]}" aria-label="([^"]+)"', html)
    )
    assert labels == {
        "1": "Garden, 01:00 to 02:00, 1 alarm: 1 motion only",
        "2": "Garden, 02:00 to 03:00, 2 alarms: 1 person, 1 motion only",
        "23": "Garden, 23:00 to 24:00, 1 alarm: 1 motion only",
    }


def test_opening_a_clip_marks_it_reviewed_and_counts_follow(
    client, logged_in, owner, make_camera, store
):
    camera = make_camera(owner)
    first = store(camera, "2026-11-25T13:05:00+00:00")
    store(camera, "2026-11-25T14:05:00+00:00")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert re.search(r'id="dashboard-unreviewed">2<', dashboard)
    assert re.search(r'id="unreviewed-badge">2<', dashboard)
    listing = client.get("/recordings").get_data(as_text=True)
    assert f'class="clip unreviewed" data-recording-id="{first["id"]}"' in listing
    client.get(f"/recordings/{first['id']}")
    listing = client.get("/recordings?state=unreviewed").get_data(as_text=True)
    assert first["id"] not in _ids(listing)
    assert re.search(r'id="unreviewed-badge">1<', listing)
    reviewed = client.get("/recordings?state=reviewed").get_data(as_text=True)
    assert _ids(reviewed) == [first["id"]]
    # And back by hand.
    logged_in.post(
        f"/recordings/{first['id']}/reviewed", {"reviewed": "0"}, form_page="/recordings"
    )
    assert re.search(r'id="unreviewed-badge">2<', client.get("/dashboard").get_data(as_text=True))


def test_mark_all_as_reviewed_touches_only_the_current_filter(
    client, logged_in, owner, make_camera, store
):
    garden = make_camera(owner, name="Garden")
    porch = make_camera(owner, name="Porch")
    store(garden, "2026-11-25T13:05:00+00:00")
    store(garden, "2026-11-25T14:05:00+00:00")
    left = store(porch, "2026-11-25T13:05:00+00:00")
    response = logged_in.post(
        "/recordings/mark-reviewed", {"camera": str(garden["id"])}, form_page="/recordings"
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/recordings?camera={garden['id']}"
    assert _ids(client.get("/recordings?state=unreviewed").get_data(as_text=True)) == [left["id"]]


def test_someone_elses_recordings_stay_unreviewed_by_my_mark_all(
    client, logged_in, owner, make_camera, make_user, store, catalog
):
    mine = store(make_camera(owner), "2026-11-25T13:05:00+00:00")
    theirs = store(make_camera(make_user("other@example.com")), "2026-11-25T13:05:00+00:00")
    logged_in.post("/recordings/mark-reviewed", {}, form_page="/recordings")
    reviewed = dict(catalog.execute("SELECT id, reviewed_at FROM recordings").fetchall())
    assert reviewed[mine["id"]] is not None
    assert reviewed[theirs["id"]] is None


def test_detail_page_steps_through_the_filtered_list_and_offers_the_next_unreviewed(
    client, logged_in, owner, make_camera, store, catalog
):
    garden = make_camera(owner, name="Garden")
    porch = make_camera(owner, name="Porch")
    newest = store(garden, "2026-11-25T15:00:00+00:00")
    store(porch, "2026-11-25T14:30:00+00:00")  # outside the camera filter
    middle = store(garden, "2026-11-25T14:00:00+00:00")
    oldest = store(garden, "2026-11-25T13:00:00+00:00")
    query = f"camera={garden['id']}"
    html = client.get(f"/recordings/{middle['id']}?{query}").get_data(as_text=True)
    prev_link = re.search(r'href="([^"]+)" rel="prev" data-key="ArrowLeft"', html).group(1)
    next_link = re.search(r'href="([^"]+)" rel="next" data-key="ArrowRight"', html).group(1)
    assert prev_link == f"/recordings/{newest['id']}?{query}"
    assert next_link == f"/recordings/{oldest['id']}?{query}"
    unreviewed = re.search(r'href="([^"]+)" id="next-unreviewed"', html).group(1)
    assert unreviewed.replace("&amp;", "&") == f"/recordings/{oldest['id']}?play=1&{query}"
    # The back link keeps the filter too.
    assert f'href="/recordings?{query}#rec-{middle["id"]}"' in html
    # At the newest there is no previous; once all are opened, none is left unreviewed.
    for recording in (newest, oldest):
        client.get(f"/recordings/{recording['id']}?{query}")
    top = client.get(f"/recordings/{newest['id']}?{query}").get_data(as_text=True)
    assert 'rel="prev"' not in top
    assert 'id="all-reviewed"' in top


def test_camera_page_suggests_the_zone_from_its_first_clips_and_refiles_on_confirm(
    client, logged_in, owner, make_camera, store, catalog
):
    camera = make_camera(owner)
    # A Berlin camera names files in local time; read as UTC they sit an hour late.
    names = ["A20261125_140501.mp4", "A20261125_160000.mp4"]
    uploads = ["2026-11-25T13:05:40+00:00", "2026-11-25T15:00:35+00:00"]
    made = [
        store(
            camera,
            f"{name[1:5]}-{name[5:7]}-{name[7:9]}T{name[10:12]}:{name[12:14]}:{name[14:16]}+00:00",
            original_name=name,
            received_at=upload,
        )
        for name, upload in zip(names, uploads, strict=True)
    ]
    page = client.get(f"/cameras/{camera['id']}").get_data(as_text=True)
    assert 'id="zone-suggestion"' in page
    assert "UTC+01:00" in page and "Use Europe/Berlin" in page
    # Suggested, not applied.
    zone = catalog.execute("SELECT file_timezone FROM cameras WHERE id = ?", [camera["id"]])
    assert zone.fetchone()[0] is None
    logged_in.post(
        f"/cameras/{camera['id']}/timezone",
        {"timezone": "Europe/Berlin"},
        form_page=f"/cameras/{camera['id']}",
    )
    page = client.get(f"/cameras/{camera['id']}").get_data(as_text=True)
    assert 'id="zone-suggestion"' not in page
    assert "2 earlier recordings moved to the right time" in page
    started = [
        catalog.execute("SELECT started_at FROM recordings WHERE id = ?", [r["id"]]).fetchone()[0]
        for r in made
    ]
    assert started == ["2026-11-25T13:05:01+00:00", "2026-11-25T15:00:00+00:00"]


def test_camera_zone_refuses_an_unknown_name(client, logged_in, owner, make_camera, catalog):
    camera = make_camera(owner)
    logged_in.post(
        f"/cameras/{camera['id']}/timezone",
        {"timezone": "Not/AZone"},
        form_page=f"/cameras/{camera['id']}",
    )
    zone = catalog.execute("SELECT file_timezone FROM cameras WHERE id = ?", [camera["id"]])
    assert zone.fetchone()[0] is None
    assert "Please choose a time zone" in client.get(f"/cameras/{camera['id']}").get_data(
        as_text=True
    )


def test_another_owners_camera_zone_cannot_be_set(client, logged_in, make_user, make_camera):
    other = make_camera(make_user("mallory@example.com"))
    response = logged_in.post(
        f"/cameras/{other['id']}/timezone", {"timezone": "UTC"}, form_page="/cameras"
    )
    assert response.status_code == 404


def test_dashboard_asks_to_confirm_the_zone_of_a_camera_filed_at_the_wrong_time(
    client, logged_in, owner, make_camera, store, catalog
):
    berlin = make_camera(owner, name="Berlin cam")
    in_utc = make_camera(owner, name="UTC cam")
    for camera, offset in ((berlin, 1), (in_utc, 0)):
        for hour in (9, 12):
            name = f"A20261125_{hour + offset:02d}0000.mp4"
            store(
                camera,
                f"2026-11-25T{hour + offset:02d}:00:00+00:00",
                original_name=name,
                received_at=f"2026-11-25T{hour:02d}:00:30+00:00",
            )
    html = client.get("/dashboard").get_data(as_text=True)
    notices = re.findall(r'<p class="notice warn zone-off">.*?href="([^"]+)"', html, re.S)
    assert notices == [f"/cameras/{berlin['id']}#timezone"]
    logged_in.post(
        f"/cameras/{berlin['id']}/timezone", {"timezone": "Europe/Berlin"}, form_page="/cameras"
    )
    assert "zone-off" not in client.get("/dashboard").get_data(as_text=True)


def test_mark_all_as_reviewed_with_a_label_filter_marks_only_that_label(
    client, logged_in, owner, make_camera, store, catalog
):
    camera = make_camera(owner)
    person = store(camera, "2026-11-25T13:05:00+00:00")
    other = store(camera, "2026-11-25T14:05:00+00:00")
    _label(catalog, person, "person")
    logged_in.post("/recordings/mark-reviewed", {"label": "person"}, form_page="/recordings")
    assert _ids(client.get("/recordings?state=unreviewed").get_data(as_text=True)) == [other["id"]]


@pytest.mark.parametrize("query", ["day=2026-13-45&hour=3", "day=2026-11-25&hour=²", "hour=99"])
def test_a_malformed_day_or_hour_is_ignored_not_an_error(client, logged_in, query):
    assert client.get(f"/recordings?{query}").status_code == 200
