"""Items 3, 4 and 6 of the daily review in headless Chromium against ``python -m webui``: the
animated preview made by the real analysis plays over the poster on hover (and on a first tap
on a phone), a label on the player's track seeks the video there, "set up this camera for me"
against the fake camera with the real upload server, then the live view shows its frames, and
the statistics page draws its charts. Screenshots go to test-output/webui/<test>/."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from core.catalog.detections import store_detection_results
from core.clipstore import ClipStore
from core.detection.results import DetectionSwitches
from pipeline.detection.service import detect_stored_recording
from tests.conftest import MODELS, requires_shared

pytestmark = pytest.mark.browser

PASSWORD = "preview password 1"


@pytest.fixture
def settings_dict(settings_dict):
    settings_dict["api"] = {"camera_allow_loopback": True, "camera_timeout_s": 10.0}
    settings_dict["detection"] = {"models_dir": str(MODELS)}
    return settings_dict


def log_in(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url("**/dashboard")


def analysed_recording(store_recording, catalog, settings, camera, people_clip) -> dict:
    """A recording of real footage analysed by the real detection stage (preview included)."""
    requires_shared("models", "yolov8n_640x384.onnx")
    recording = store_recording(camera, "2026-11-25T13:05:01+00:00", clip=people_clip)
    result = detect_stored_recording(
        settings, recording["path"], DetectionSwitches(objects=True, false_alarm=True)
    )
    assert result is not None and result.preview_path is not None
    store_detection_results(
        catalog, recording["id"], result, files_root=ClipStore(settings.storage).thumbs_root
    )
    return dict(
        catalog.query("SELECT * FROM recordings WHERE id = ?", [recording["id"]]).__next__()
    )


def test_preview_plays_on_hover_and_on_first_tap_and_labels_seek_the_player(
    live_server,
    browser,
    screenshots,
    make_user,
    make_camera,
    store_recording,
    catalog,
    settings,
    people_clip,
):
    owner = make_user("pia@example.com", password=PASSWORD)
    recording = analysed_recording(
        store_recording, catalog, settings, make_camera(owner), people_clip
    )
    assert recording["preview_path"].endswith(".preview.webp")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, live_server, owner["email"])
    page.goto(f"{live_server}/recordings?day=2026-11-25")
    poster = page.locator(f"#rec-{recording['id']} img[data-preview]")
    poster_src = poster.get_attribute("src")
    page.mouse.move(5, 5)
    poster.hover()
    page.wait_for_function(
        "img => img.src.endsWith('/preview') && img.complete && img.naturalWidth > 0",
        arg=poster.element_handle(),
    )
    assert poster.evaluate("img => img.naturalWidth") == settings.detection.preview_width
    screenshots(page, "preview-on-hover")
    # What the browser got is an animation of the analysed frames, a few hundred kB at most.
    answer = page.request.get(f"{live_server}/recordings/{recording['id']}/preview")
    assert answer.headers["content-type"] == "image/webp"
    assert len(answer.body()) <= settings.detection.preview_max_kb * 1024
    with Image.open(io.BytesIO(answer.body())) as animation:
        assert animation.n_frames >= 5
    page.mouse.move(5, 5)
    page.wait_for_function(
        "([img, src]) => img.getAttribute('src') === src", arg=[poster.element_handle(), poster_src]
    )

    # The player's track: a click on the person bar seeks to where the person was first seen.
    page.click(f"#rec-{recording['id']} a.title")
    page.wait_for_url(f"**/recordings/{recording['id']}?*")
    first_s = float(page.locator("#track rect[data-label='person']").get_attribute("data-seek"))
    page.locator("video#player").evaluate("v => { v.muted = true; }")
    page.click("#track rect[data-label='person']")
    # Past the label's start, not at it: a person seen from the first frame seeks to 0, and only
    # playing moves the line off 0 (on a busy machine the pause came before it had).
    page.wait_for_function(
        f"() => document.getElementById('player').currentTime > {first_s}", timeout=15000
    )
    page.locator("video#player").evaluate("v => v.pause()")
    # The line follows the player on its timeupdate event, which may come after the seek.
    page.wait_for_function(
        "() => parseFloat(document.getElementById('playhead').getAttribute('x1')) > 0",
        timeout=15000,
    )
    assert float(page.locator("#playhead").get_attribute("x1")) > 0
    assert page.locator("figure.bestframe img").evaluate("img => img.naturalWidth") > 0
    screenshots(page, "label-track-seeked")
    context.close()

    # A phone: the first tap plays the preview, the second opens the recording.
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = phone.new_page()
    log_in(page, live_server, owner["email"])
    page.goto(f"{live_server}/recordings?day=2026-11-25")
    poster = page.locator(f"#rec-{recording['id']} img[data-preview]")
    poster.tap()
    page.wait_for_function("img => img.src.endsWith('/preview')", arg=poster.element_handle())
    assert "/recordings?" in page.url
    screenshots(page, "preview-on-tap")
    poster.tap()
    page.wait_for_url(f"**/recordings/{recording['id']}*")
    phone.close()


def test_set_up_for_me_against_the_fake_camera_then_the_live_view_shows_its_frames(
    live_server, browser, screenshots, make_user, make_camera, catalog, fake_camera, ingestd
):
    owner = make_user("theo@example.com", password=PASSWORD)
    model = "IN-9408" if fake_camera.dialect == "wqhd" else "IN-8015"
    camera = make_camera(owner, model=model, name="Gate")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, live_server, owner["email"])
    page.goto(f"{live_server}/cameras/{camera['id']}")
    assert page.locator("#live").count() == 0  # no login stored yet: no live view
    page.fill("#setup-for-me input[name=address]", fake_camera.address)
    page.fill("#setup-for-me input[name=username]", fake_camera.username)
    page.fill("#setup-for-me input[name=password]", fake_camera.password)
    page.select_option("#setup-for-me select[name=protocol]", "ftp")
    page.click("#setup-for-me-submit")
    result = page.locator("#setup-result")
    result.wait_for()
    assert result.get_attribute("data-outcome") == "tested", result.inner_text()
    assert "upload test reached AlarmVault" in result.inner_text()
    assert fake_camera.state.upload["ft_password"] not in page.content()
    screenshots(page, "set-up-for-me-done")

    page.click("#live-toggle")
    page.wait_for_function(
        "() => { const img = document.getElementById('live-picture');"
        " return !img.hidden && img.complete && img.naturalWidth > 0; }",
        timeout=15000,
    )
    assert page.locator("#live-picture").evaluate("img => img.naturalWidth") == 128
    screenshots(page, "live-view")
    page.click("#live-toggle")
    assert page.locator("#live-picture").evaluate("img => img.hidden")
    context.close()


def test_statistics_page_draws_its_charts(
    live_server, browser, screenshots, make_user, make_camera, store_recording, catalog
):
    from datetime import UTC, datetime

    owner = make_user("stat@example.com", password=PASSWORD)
    camera = make_camera(owner)
    started = datetime.now(UTC).replace(microsecond=0).isoformat()
    recording = store_recording(camera, started, poster=False)
    catalog.execute(
        "INSERT INTO recording_labels (recording_id, label, best_score, first_s, last_s)"
        " VALUES (?, 'animal', 0.8, 1, 3)",
        [recording["id"]],
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    log_in(page, live_server, owner["email"])
    page.goto(f"{live_server}/statistics")
    assert page.locator("#stat-alarms").inner_text() == "1"
    # Alarms per day, what was seen, storage (no false alarms: no causes chart).
    assert page.locator("svg.chart").count() == 3
    assert page.locator("#seen-table tr[data-label='animal'] td").all_inner_texts() == [
        "Animal",
        "1",
    ]
    assert page.locator("svg.chart rect.seen-animal").count() == 1
    screenshots(page, "statistics")
    context.close()
