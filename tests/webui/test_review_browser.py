"""The daily review in a real browser (headless Chromium against ``python -m webui``): the
browser's zone becomes the account's on the first page view and every time follows it, the
camera page suggests its clock's zone and the owner confirms it, the list is grouped by day
with activity strips whose hours filter it, the unreviewed count falls as clips are opened,
and ← → step through the filtered list. Screenshots go to test-output/webui/<test>/."""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.catalog.time_zones import set_user_timezone
from tests.conftest import label_recording

pytestmark = pytest.mark.browser

PASSWORD = "review password 1"


def log_in(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url("**/dashboard")


def badge(page) -> str | None:
    found = page.locator("#unreviewed-badge")
    return found.inner_text().split()[0] if found.count() else None


def test_browser_zone_becomes_the_accounts_and_times_show_in_it(
    live_server, browser, screenshots, make_user, make_camera, store_recording, catalog
):
    owner = make_user("lena@example.com", password=PASSWORD)
    store_recording(make_camera(owner), "2026-11-25T13:05:01+00:00", poster=False)
    context = browser.new_context(
        timezone_id="Europe/Berlin", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    log_in(page, live_server, owner["email"])
    # app.js tells the server the browser's zone once and shows the page again.
    page.wait_for_function("() => !document.body.dataset.zoneUrl")
    stored = catalog.execute("SELECT timezone FROM users WHERE id = ?", [owner["id"]])
    assert stored.fetchone()[0] == "Europe/Berlin"
    page.goto(live_server + "/recordings?day=2026-11-25")
    assert page.locator("#recordings time.when").inner_text() == "14:05:01"
    page.click("#recordings a.title")
    assert page.locator("h1 small").inner_text() == "2026-11-25 14:05:01 CET"
    screenshots(page, "detail-in-berlin-time")
    # A zone chosen on the account page wins over the browser's.
    page.goto(live_server + "/account#timezone")
    page.select_option("#timezone select[name=timezone]", "America/New_York")
    page.click("#timezone button:has-text('Save time zone')")
    page.goto(live_server + "/recordings?day=2026-11-25")
    assert page.locator("#recordings time.when").inner_text() == "08:05:01"
    context.close()


def test_owner_confirms_the_suggested_camera_zone_and_alarms_move_to_the_right_time(
    live_server, browser, screenshots, make_user, make_camera, store_recording, catalog
):
    owner = make_user("jonas@example.com", password=PASSWORD)
    set_user_timezone(catalog, owner["id"], "Europe/Berlin")
    camera = make_camera(owner, name="Driveway")
    store = functools.partial(store_recording, poster=False)
    # The camera names files in Berlin time; read as UTC (the default) they are an hour late.
    for name, received in (
        ("A20261125_140501.mp4", "2026-11-25T13:05:45+00:00"),
        ("A20261125_183000.mp4", "2026-11-25T17:30:30+00:00"),
        ("A20261126_071500.mp4", "2026-11-26T06:15:40+00:00"),
    ):
        naive = datetime.strptime(name[1:16], "%Y%m%d_%H%M%S").replace(tzinfo=UTC)
        store(camera, naive.isoformat(), original_name=name, received_at=received)
    context = browser.new_context(timezone_id="Europe/Berlin")
    page = context.new_page()
    log_in(page, live_server, owner["email"])
    page.goto(f"{live_server}/recordings?day=2026-11-25")
    assert page.locator("#recordings time.when").all_inner_texts() == ["19:30:00", "15:05:01"]
    page.goto(f"{live_server}/cameras/{camera['id']}")
    suggestion = page.locator("#zone-suggestion")
    assert "UTC+01:00" in suggestion.inner_text()
    screenshots(page, "camera-zone-suggested")
    suggestion.locator("button:has-text('Use Europe/Berlin')").click()
    page.wait_for_selector("text=3 earlier recordings moved to the right time")
    assert page.locator("#camera-zone").inner_text() == "Europe/Berlin"
    assert page.locator("#zone-suggestion").count() == 0
    screenshots(page, "camera-zone-confirmed")
    page.goto(f"{live_server}/recordings?day=2026-11-25")
    assert page.locator("#recordings time.when").all_inner_texts() == ["18:30:00", "14:05:01"]
    context.close()


def test_daily_review_groups_days_filters_by_strip_counts_unreviewed_and_steps_with_keys(
    live_server, browser, screenshots, make_user, make_camera, store_recording, catalog
):
    owner = make_user("mia@example.com", password=PASSWORD)
    set_user_timezone(catalog, owner["id"], "Europe/Berlin")
    garden = make_camera(owner, name="Garden")
    porch = make_camera(owner, name="Porch")
    now = datetime.now(UTC).replace(microsecond=0, second=0)
    # Three alarms in one hour of the garden today, one on the porch, one yesterday.
    hour_start = now.replace(minute=0) - timedelta(hours=1)
    step = timedelta(minutes=1)
    berlin_midnight = (
        now.astimezone(ZoneInfo("Europe/Berlin"))
        .replace(hour=0, minute=0, second=0)
        .astimezone(UTC)
    )
    if hour_start < berlin_midnight:
        # Just after midnight in Berlin the hour before is yesterday there: use today's first
        # hour, its alarms seconds apart so that they are past already.
        hour_start, step = berlin_midnight, timedelta(seconds=1)
    in_hour = [
        store_recording(garden, (hour_start + m * step).isoformat(), poster=m == 10)
        for m in (10, 25, 40)
    ]
    store_recording(porch, (hour_start + 30 * step).isoformat(), poster=False)
    store_recording(garden, (now - timedelta(days=1)).isoformat(), poster=False)
    label_recording(catalog, in_hour[0]["id"], "person")
    context = browser.new_context(
        timezone_id="Europe/Berlin", viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    log_in(page, live_server, owner["email"])
    assert page.locator("#dashboard-unreviewed").inner_text() == "5"
    assert badge(page) == "5"

    page.click("nav >> text=Recordings")
    page.wait_for_url("**/recordings")  # else the headings may be read from the dashboard
    headings = page.locator("section.day h2").all_inner_texts()
    assert headings[0].startswith("Today")
    assert headings[1].startswith("Yesterday")
    today = page.locator("section.day").first
    strip_link = today.locator(f"a.hour[data-camera='{garden['id']}']")
    # Hours are the viewer's (Berlin).
    local_hour = hour_start.astimezone(ZoneInfo("Europe/Berlin")).hour
    assert strip_link.count() >= 1
    link = today.locator(f"a.hour[data-camera='{garden['id']}'][data-hour='{local_hour}']")
    assert "3 alarms: 1 person, 2 motion only" in link.get_attribute("aria-label")
    assert link.locator("rect.seen-person").count() == 1
    screenshots(page, "day-groups-and-strips")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshots(page, "day-groups-and-strips-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # The hour is a plain link: keyboard focus and Enter filter the list.
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*hour={local_hour}.*"))
    cards = page.locator("#recordings .clip")
    assert cards.count() == 3
    assert page.locator("a.hour[aria-current='true']").count() == 1
    screenshots(page, "strip-hour-filter")

    # Opening the newest clip of the hour marks it reviewed; → and ← step within the filter.
    newest, middle, oldest = in_hour[2], in_hour[1], in_hour[0]
    page.click(f"#rec-{newest['id']} a.title")
    page.wait_for_url(re.compile(rf".*/recordings/{newest['id']}\?.*hour={local_hour}.*"))
    assert badge(page) == "4"
    page.keyboard.press("ArrowRight")
    page.wait_for_url(re.compile(rf".*/recordings/{middle['id']}\?.*hour={local_hour}.*"))
    assert badge(page) == "3"
    page.keyboard.press("ArrowRight")
    page.wait_for_url(re.compile(rf".*/recordings/{oldest['id']}\?.*"))
    assert page.locator("a[rel=next]").count() == 0
    page.keyboard.press("ArrowLeft")
    page.wait_for_url(re.compile(rf".*/recordings/{middle['id']}\?.*"))
    screenshots(page, "detail-stepper")
    # Every clip of this hour is opened now, and "next unreviewed" keeps to the filter.
    assert page.locator("#all-reviewed").count() == 1

    # Back in the whole list: mark all as reviewed.
    page.goto(live_server + "/recordings")
    assert badge(page) == "2"
    assert page.locator("#recordings .clip.unreviewed").count() == 2
    page.click("#mark-all-reviewed")
    page.wait_for_selector("text=2 recordings marked as reviewed.")
    assert badge(page) is None
    assert page.locator("#recordings .clip.unreviewed").count() == 0
    screenshots(page, "all-reviewed")
    context.close()


def test_next_unreviewed_plays_the_next_clip_that_nobody_opened(
    live_server, browser, make_user, make_camera, store_recording, catalog
):
    owner = make_user("noah@example.com", password=PASSWORD)
    set_user_timezone(catalog, owner["id"], "UTC")
    camera = make_camera(owner)
    first = store_recording(camera, "2026-11-25T13:00:00+00:00")
    second = store_recording(camera, "2026-11-25T12:00:00+00:00")
    context = browser.new_context()
    page = context.new_page()
    log_in(page, live_server, owner["email"])
    page.goto(f"{live_server}/recordings/{first['id']}")
    page.click("#next-unreviewed")
    page.wait_for_url(re.compile(rf".*/recordings/{second['id']}\?play=1"))
    page.wait_for_function(
        "() => document.getElementById('player').currentTime > 0.5", timeout=15000
    )
    context.close()
