"""A new customer in a real browser against a whole AlarmVault: register and confirm by the
mailed link, add an HD camera and read its FTP settings off the page, let "the camera" upload
AVI alarm clips over FTP into a per-day folder, play one (through its H.264 playback copy),
switch person detection on and filter by it, release one, delete one, delete the account.
Screenshots of every page go to test-output/e2e-browser/."""

from __future__ import annotations

import contextlib
import ftplib
import io
import re
import shutil

import pytest

from core.mailer import read_outbox
from tests.conftest import MODELS, TEST_OUTPUT, requires_shared, wait_for

pytestmark = pytest.mark.browser

EMAIL = "dora@example.com"
PASSWORD = "dora's long password 1"
# An HD camera (IN-5905) writes AVI: browsers cannot play it, so the pipeline makes an MP4.
# Short clips keep the copy and the detection cheap. The first clip is a synthetic scene (no
# labels); the second is real footage, vtest.mp4, which shows people walking throughout, for the
# label filter (what the real model finds).
CLIP = {"seconds": 5, "width": 1280, "height": 720, "fps": 15, "container_format": "avi"}
DAY_FOLDER = "20261125"


@pytest.fixture
def settings_dict(settings_dict):
    requires_shared("models", "yolov8n_416x256.onnx")
    settings_dict["detection"] = {"models_dir": str(MODELS)}
    return settings_dict


@pytest.fixture
def shot():
    folder = TEST_OUTPUT / "e2e-browser"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    counter = iter(range(1, 100))

    def _shot(page, name: str) -> None:
        page.screenshot(path=str(folder / f"{next(counter):02d}-{name}.png"), full_page=True)

    return _shot


def setup_value(page, field: str) -> str:
    """A value from the camera page's plain-FTP settings table, by the camera's field name."""
    row = page.locator("#setup-ftp tr", has=page.locator(f"td:text-is('{field}')"))
    return row.locator("td code").first.inner_text().strip()


def camera_uploads(server: tuple[str, int, str, str], name: str, data: bytes) -> None:
    """What an INSTAR camera does with ft_dirmode=1: a folder per day, made on first use."""
    host, port, user, password = server
    with ftplib.FTP() as ftp:
        ftp.connect(host, port, timeout=30)
        ftp.login(user, password)
        for folder in ("alarmvault", DAY_FOLDER):
            with contextlib.suppress(ftplib.error_perm):  # made by an earlier upload
                ftp.mkd(folder)
            ftp.cwd(folder)
        ftp.storbinary(f"STOR {name}", io.BytesIO(data))


def wait_for_cards(page, count: int, what: str) -> None:
    def shown() -> bool:
        page.reload()
        return page.locator("#recordings .clip").count() == count

    wait_for(shown, timeout=45, interval=1.0, what=what)


def test_new_customer_sees_plays_filters_releases_and_deletes_ftp_clips(
    vault, browser, shot, clip_factory
):
    first_clip = clip_factory(**CLIP).read_bytes()
    person_clip = clip_factory("vtest.mp4", **{**CLIP, "seconds": 6}).read_bytes()
    web = vault.web_url
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto(f"{web}/register")
    shot(page, "register")
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("button:has-text('Register')")
    page.wait_for_selector(f"text={EMAIL}")
    shot(page, "check-mail")

    outbox = vault.settings.storage.outbox_dir
    [mail] = wait_for(lambda: read_outbox(outbox), timeout=10, what="confirmation mail")
    assert mail["To"] == EMAIL
    link = re.search(r"https?://\S+/confirm/\S+", mail.get_content()).group(0)
    page.goto(link)
    page.wait_for_url("**/login")
    assert page.locator("text=your e-mail address is confirmed").count() == 1
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", PASSWORD)
    shot(page, "login-confirmed")
    page.click("button:has-text('Log in')")
    page.wait_for_url("**/dashboard")
    shot(page, "dashboard-empty")

    page.click("nav >> text=Cameras")
    page.click("text=Add a camera")
    page.fill("input[name=name]", "Driveway")
    page.select_option("select[name=model]", "IN-5905")
    page.click("form button:has-text('Add')")
    page.wait_for_selector("#new-password")
    shot(page, "camera-added")
    # The page is the answer to the form's POST; the camera's own URL is in its forms.
    camera_url = web + page.locator("#detection form").get_attribute("action").rsplit("/", 1)[0]
    server = (
        setup_value(page, "FTP server"),
        int(setup_value(page, "FTP port")),
        setup_value(page, "Username"),
        page.locator("#new-password code").inner_text().strip(),
    )
    assert setup_value(page, "Password") == server[3]

    camera_uploads(server, "A20261125_130501.avi", first_clip)
    page.click("nav >> text=Recordings")
    wait_for_cards(page, 1, "the first FTP clip on the recordings page")
    page.wait_for_load_state("load")
    shot(page, "recordings-first")
    first_id = page.locator("#recordings .clip").first.get_attribute("data-recording-id")

    page.click(f"[data-recording-id='{first_id}'] a.title")
    page.wait_for_url(f"**/recordings/{first_id}")
    video = page.locator("video#player")
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function(
        "() => document.getElementById('player').currentTime > 1.0", timeout=15000
    )
    assert video.evaluate("v => [v.videoWidth, v.videoHeight]") == [1280, 720]
    video.evaluate("v => v.pause()")
    shot(page, "player-avi")

    page.goto(camera_url)
    page.check("#detection input[name=objects]")
    page.check("#detection input[name=consent]")
    page.click("button:has-text('Save detection settings')")
    page.wait_for_selector("text=Detection settings saved")
    shot(page, "detection-on")

    camera_uploads(server, "A20261125_131002.avi", person_clip)
    page.click("nav >> text=Recordings")
    wait_for_cards(page, 2, "the second FTP clip on the recordings page")

    # Visible first, labelled after: the clip is listed "analysing…" until detection is done.
    def labelled() -> bool:
        page.reload()
        return page.locator("#recordings .tag.analysing").count() == 0

    wait_for(labelled, timeout=90, interval=1.0, what="the person clip's labels")
    page.wait_for_load_state("load")
    shot(page, "recordings-two")

    page.select_option("select[name=label]", "person")
    page.click("button:has-text('Filter')")
    page.wait_for_url(re.compile(r".*label=person.*"))
    person_cards = page.locator("#recordings .clip")
    assert person_cards.count() == 1
    person_id = person_cards.first.get_attribute("data-recording-id")
    assert person_id != first_id
    assert person_cards.first.locator(".tag", has_text="Person").count() == 1
    # The daemon's analysis made the animated preview the list plays on hover.
    assert person_cards.first.locator("img[data-preview]").count() == 1
    shot(page, "filtered-person")

    page.click(f"[data-recording-id='{person_id}'] a.title")
    # The player page keeps the list's filter (for previous/next).
    page.wait_for_url(f"**/recordings/{person_id}?label=person")
    page.wait_for_load_state("load")
    assert page.locator("ul.spans button[data-seek]").count() >= 1
    page.click("#release button:has-text('Release for training')")
    page.wait_for_selector("text=This recording is released.")
    shot(page, "released")

    page.goto(f"{web}/recordings/{first_id}")
    page.click("button:has-text('Delete this recording')")
    page.wait_for_url("**/recordings")
    assert page.locator("#recordings .clip").count() == 1
    assert page.locator(f"[data-recording-id='{first_id}']").count() == 0
    shot(page, "after-delete")

    page.click("nav >> text=Account")
    shot(page, "account")
    page.fill("#delete input[name=confirm]", "DELETE")
    page.fill("#delete input[name=current_password]", PASSWORD)
    page.click("button:has-text('Delete my account')")
    page.wait_for_url("**/login")
    assert page.locator("text=Your account and all its recordings are deleted").count() == 1
    shot(page, "account-deleted")

    assert vault.cli_json("recordings", "list") == []
    recordings_root = vault.settings.storage.recordings_dir
    assert [p for p in recordings_root.rglob("*") if p.is_file()] == []
