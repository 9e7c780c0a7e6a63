"""A customer in a real browser: log in, see and play a clip, filter, release, delete, and
delete the account. Screenshots of every page go to test-output/webui/."""

from __future__ import annotations

import re

import pytest

from core.clipstore import ClipStore
from tests.conftest import label_recording

pytestmark = pytest.mark.browser


def test_customer_plays_filters_releases_deletes_and_leaves(
    live_server, browser, screenshots, make_user, make_camera, store_recording, catalog, settings
):
    owner = make_user("carla@example.com", password="carla's password 1")
    garden = make_camera(owner, name="Garden")
    make_camera(owner, name="Porch", model="IN-9408")
    person = store_recording(garden, "2026-11-25T13:05:01+00:00")
    quiet = store_recording(garden, "2026-11-25T12:00:00+00:00")
    label_recording(catalog, person["id"], "person", score=0.91, first_s=3.0, last_s=12.5)
    store = ClipStore(settings.storage)
    files = [store.recording_file(r["path"]) for r in (person, quiet)]

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(live_server + "/")
    assert page.url.endswith("/login")
    screenshots(page, "login")
    page.fill("input[name=email]", owner["email"])
    page.fill("input[name=password]", owner["password"])
    page.click("button:has-text('Log in')")
    page.wait_for_url("**/dashboard")
    assert page.locator(".camera").count() == 2
    screenshots(page, "dashboard")

    page.click("nav >> text=Recordings")
    # The load event also waits for the poster images, which a busy machine serves slowly.
    page.wait_for_url("**/recordings")
    page.wait_for_load_state("load")
    cards = page.locator("#recordings .clip")
    assert cards.count() == 2
    # The poster loaded (a real JPEG, decoded by the browser).
    assert page.locator(f"[data-recording-id='{person['id']}'] img").evaluate(
        "img => img.complete && img.naturalWidth > 0"
    )
    screenshots(page, "recordings")

    page.click(f"[data-recording-id='{person['id']}'] a.title")
    page.wait_for_url(f"**/recordings/{person['id']}")
    video = page.locator("video#player")
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function(
        "() => document.getElementById('player').currentTime > 1.0", timeout=15000
    )
    assert video.evaluate("v => v.videoWidth") == 1280
    video.evaluate("v => v.pause()")
    screenshots(page, "player")

    # The timeline jumps to the detection.
    page.click("ul.spans button[data-seek]")
    page.wait_for_function("() => document.getElementById('player').currentTime >= 3.0")
    video.evaluate("v => v.pause()")

    page.click("nav >> text=Recordings")
    page.select_option("select[name=label]", "person")
    page.click("button:has-text('Filter')")
    page.wait_for_url(re.compile(r".*label=person.*"))
    assert page.locator("#recordings .clip").count() == 1
    assert page.locator(f"[data-recording-id='{person['id']}']").count() == 1
    screenshots(page, "filtered")

    page.goto(f"{live_server}/recordings/{person['id']}")
    page.click("#release button:has-text('Release for training')")
    page.wait_for_selector("text=This recording is released.")
    assert (
        catalog.execute("SELECT released FROM recordings WHERE id = ?", [person["id"]]).fetchone()[
            0
        ]
        == 1
    )
    screenshots(page, "released")

    page.goto(f"{live_server}/recordings/{quiet['id']}")
    page.click("button:has-text('Delete this recording')")
    page.wait_for_url("**/recordings")
    assert page.locator(f"[data-recording-id='{quiet['id']}']").count() == 0
    assert not files[1].exists()
    screenshots(page, "after-delete")

    page.click("nav >> text=Cameras")
    page.click("text=Porch")
    assert page.locator("#setup-sftp").count() == 1  # a WQHD camera can use sFTP
    screenshots(page, "camera")

    phone = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        storage_state=context.storage_state(),
    )
    phone_page = phone.new_page()
    phone_page.goto(live_server + "/recordings")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshots(phone_page, "phone-recordings")
    phone.close()

    page.click("nav >> text=Account")
    screenshots(page, "account")
    page.fill("#delete input[name=confirm]", "DELETE")
    page.fill("#delete input[name=current_password]", owner["password"])
    page.click("button:has-text('Delete my account')")
    page.wait_for_url("**/login")
    assert page.locator("text=Your account and all its recordings are deleted").count() == 1
    screenshots(page, "account-deleted")
    context.close()

    assert catalog.execute("SELECT count(*) FROM users").fetchone()[0] == 0
    assert catalog.execute("SELECT count(*) FROM recordings").fetchone()[0] == 0
    assert not any(path.exists() for path in files)
