"""The pages on a phone (390 px) in headless Chromium: nothing scrolls sideways, targets are
thumb-sized, the menu folds, the filter opens as a sheet, a swipe steps between recordings,
dark mode follows the system with readable contrast; and the installable app: the manifest is
valid, the service worker registers, and the offline page is shown without a network.
Screenshots of every page at phone size, light and dark, go to test-output/screens/."""

from __future__ import annotations

import json
import re

import pytest

from core.catalog.users import set_user_language
from tests.conftest import TEST_OUTPUT, label_recording

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
SCREENS = TEST_OUTPUT / "screens"


@pytest.fixture
def owner_with_recordings(make_user, make_camera, store_recording, catalog):
    owner = make_user("gina@example.com", password="gina's password 1", is_admin=True)
    garden = make_camera(owner, name="Garden with a rather long camera name for a phone")
    make_camera(owner, name="Porch", model="IN-9408")
    recordings = [
        store_recording(garden, f"2026-11-25T13:0{minute}:01+00:00") for minute in range(3)
    ]
    label_recording(catalog, recordings[0]["id"], "person", score=0.91, first_s=3.0, last_s=12.5)
    owner["cameras"] = [garden]
    owner["recordings"] = recordings
    return owner


@pytest.fixture
def owner_with_everything(owner_with_recordings, with_every_feature):
    """The owner with snapshots, a camera's live view and a push device too: every section of
    every page shows."""
    owner = owner_with_recordings
    with_every_feature(owner, owner["cameras"][0], owner["recordings"][0])
    return owner


def log_in(page, base: str, user: dict) -> None:
    page.goto(base + "/login")
    page.fill("input[name=email]", user["email"])
    page.fill("input[name=password]", user["password"])
    page.click("button:has-text('Log in')")
    page.wait_for_url("**/dashboard")


def main_pages(user: dict) -> dict[str, str]:
    recording = user["recordings"][0]["id"]
    camera = user["cameras"][0]["id"]
    return {
        "dashboard": "/dashboard",
        "recordings": "/recordings",
        "recordings-filtered": f"/recordings?label=person&camera={camera}",
        "recording": f"/recordings/{recording}",
        "cameras": "/cameras",
        "camera": f"/cameras/{camera}",
        "camera-add": "/cameras/add",
        "integrations": "/integrations",
        "account": "/account",
        "statistics": "/statistics",
        "statistics-camera": f"/statistics?camera={camera}",
        "admin": "/admin",
        "admin-users": "/admin/users",
        "admin-cameras": "/admin/cameras",
        "admin-rejections": "/admin/rejections",
        "admin-released": "/admin/released",
        "offline": "/offline",
    }


def sideways_overflow(page) -> list[str]:
    """The elements that stick out past the right edge of the screen (none, we hope)."""
    return page.evaluate(
        """() => {
            const width = document.documentElement.clientWidth;
            if (document.documentElement.scrollWidth <= width) return [];
            return [...document.querySelectorAll('body *')]
              .filter((el) => el.getBoundingClientRect().right > width + 1)
              .slice(0, 8)
              .map((el) => `${el.tagName}.${el.className} ${el.getBoundingClientRect().right}`);
        }"""
    )


def small_targets(page) -> list[str]:
    """Visible buttons, fields and menu links shorter or narrower than 44 px."""
    return page.evaluate(
        """() => [...document.querySelectorAll(
              'button:not(.link), .button, select, .topbar a, .topbar button,'
              + ' input:not([type=hidden]):not([type=checkbox]):not([type=radio])')]
            .filter((el) => el.offsetParent !== null
                            && getComputedStyle(el).visibility !== 'hidden')
            .map((el) => [el, el.getBoundingClientRect()])
            .filter(([, box]) => box.height < 43.5 || box.width < 43.5)
            .map(([el, box]) => `${el.tagName}.${el.className} "${el.textContent.trim()}"`
                                + ` ${Math.round(box.width)}x${Math.round(box.height)}`)"""
    )


def test_no_page_scrolls_sideways_at_390_px_and_targets_are_thumb_sized(
    live_server, browser, owner_with_everything
):
    SCREENS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        context = browser.new_context(**PHONE, color_scheme=scheme)
        page = context.new_page()
        for name in ("login", "register", "reset"):
            page.goto(f"{live_server}/{name}")
            assert sideways_overflow(page) == [], name
            assert small_targets(page) == [], name
            page.screenshot(path=str(SCREENS / f"phone-{scheme}-{name}.png"), full_page=True)
        log_in(page, live_server, owner_with_everything)
        for name, path in main_pages(owner_with_everything).items():
            page.goto(live_server + path)
            page.wait_for_load_state("load")
            assert sideways_overflow(page) == [], name
            assert small_targets(page) == [], name
            page.screenshot(path=str(SCREENS / f"phone-{scheme}-{name}.png"), full_page=True)
        context.close()


def test_german_pages_fit_a_phone_too(live_server, browser, owner_with_everything, catalog):
    # German words run longer (Push-Benachrichtigungen, Aktivitätsleisten): none may push the
    # page sideways or squeeze a target.
    set_user_language(catalog, owner_with_everything["id"], "de")
    context = browser.new_context(**PHONE, color_scheme="dark")
    page = context.new_page()
    log_in(page, live_server, owner_with_everything)
    for name, path in main_pages(owner_with_everything).items():
        page.goto(live_server + path)
        page.wait_for_load_state("load")
        assert page.locator("html").get_attribute("lang") == "de", name
        assert sideways_overflow(page) == [], name
        assert small_targets(page) == [], name
        page.screenshot(path=str(SCREENS / f"phone-dark-de-{name}.png"), full_page=True)
    context.close()


def test_desk_size_pages_in_light_and_dark_fit_the_screen(
    live_server, browser, owner_with_everything
):
    SCREENS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
        page = context.new_page()
        log_in(page, live_server, owner_with_everything)
        for name, path in main_pages(owner_with_everything).items():
            page.goto(live_server + path)
            page.wait_for_load_state("load")
            assert sideways_overflow(page) == [], name
            page.screenshot(path=str(SCREENS / f"desk-{scheme}-{name}.png"), full_page=True)
        context.close()


def test_the_menu_folds_behind_a_button_on_a_phone(live_server, browser, owner_with_recordings):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, live_server, owner_with_recordings)
    menu = page.locator("#menu-button")
    assert menu.is_visible()
    assert not page.locator("#main-nav").is_visible()
    menu.click()
    assert menu.get_attribute("aria-expanded") == "true"
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "phone-light-menu-open.png"))
    links = page.locator("#main-nav > a")
    assert links.count() >= 5
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box["height"] >= 44 and box["x"] + box["width"] <= 390
    page.click("#main-nav >> text=Cameras")
    page.wait_for_url("**/cameras")
    context.close()

    wide = browser.new_context(viewport={"width": 1280, "height": 900})
    page = wide.new_page()
    log_in(page, live_server, owner_with_recordings)
    assert not page.locator("#menu-button").is_visible()
    assert page.locator("#main-nav").is_visible()
    wide.close()


def test_the_recordings_filter_opens_as_a_sheet_on_a_phone(
    live_server, browser, owner_with_recordings
):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, live_server, owner_with_recordings)
    page.goto(live_server + "/recordings")
    sheet = page.locator("form.filters")
    assert (
        not sheet.is_visible() or sheet.evaluate("f => getComputedStyle(f).visibility") == "hidden"
    )
    page.click("#filter-opener")
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('form.filters')).visibility === 'visible'"
    )
    page.wait_for_timeout(300)  # the slide-in
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "phone-light-filter-sheet.png"))
    box = sheet.bounding_box()
    assert box["y"] + box["height"] <= 844 + 1 and box["width"] <= 390
    page.select_option("form.filters select[name=label]", "person")
    page.click("form.filters button:has-text('Filter')")
    page.wait_for_url(re.compile(r".*label=person.*"))
    assert page.locator("#recordings .clip").count() == 1
    context.close()


def swipe(page, dx: int) -> None:
    page.evaluate(
        """(dx) => {
            const target = document.querySelector('main');
            const touch = (x) => new Touch({identifier: 1, target, clientX: x, clientY: 400});
            target.dispatchEvent(new TouchEvent('touchstart',
                {touches: [touch(200)], changedTouches: [touch(200)], bubbles: true}));
            target.dispatchEvent(new TouchEvent('touchend',
                {touches: [], changedTouches: [touch(200 + dx)], bubbles: true}));
        }""",
        dx,
    )


def test_a_swipe_steps_to_the_next_and_previous_recording(
    live_server, browser, owner_with_recordings
):
    newest, middle, _ = sorted(
        owner_with_recordings["recordings"], key=lambda r: r["started_at"], reverse=True
    )
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, live_server, owner_with_recordings)
    page.goto(f"{live_server}/recordings/{newest['id']}")
    previous, following = (
        page.locator(".stepper .button").first,
        page.locator(".stepper .button").nth(1),
    )
    assert previous.bounding_box()["height"] >= 44 and following.bounding_box()["height"] >= 44
    swipe(page, -150)  # to the left: the next (older) recording
    page.wait_for_url(re.compile(rf".*/recordings/{middle['id']}(\?.*)?$"))
    swipe(page, 150)
    page.wait_for_url(re.compile(rf".*/recordings/{newest['id']}(\?.*)?$"))
    context.close()


def luminance(colour: str) -> float:
    channels = [int(value) / 255 for value in re.findall(r"[\d.]+", colour)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


COLOURS = """(selector) => {
    const el = document.querySelector(selector);
    let back = el, bg = 'rgba(0, 0, 0, 0)';
    while (back && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) {
        bg = getComputedStyle(back).backgroundColor; back = back.parentElement;
    }
    return [getComputedStyle(el).color, bg];
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_dark_mode_follows_the_system_with_readable_contrast(
    live_server, browser, owner_with_recordings, scheme
):
    context = browser.new_context(**PHONE, color_scheme=scheme)
    page = context.new_page()
    log_in(page, live_server, owner_with_recordings)
    page.goto(live_server + "/account")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert (luminance(background) < 0.05) == (scheme == "dark"), background
    for selector in (
        "h1",
        "main p",
        ".muted",
        "main a",
        "main button:not(.link)",
        "input[type=email]",
    ):
        text, back = page.evaluate(COLOURS, selector)
        assert contrast(text, back) >= 4.5, (selector, text, back)
    context.close()


def test_the_app_installs_its_worker_registers_and_the_offline_page_shows_without_network(
    live_server, browser, owner_with_recordings
):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    log_in(page, live_server, owner_with_recordings)
    cdp = context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"].endswith("/manifest.webmanifest")
    assert manifest["errors"] == []
    assert '"name":"AlarmVault"' in manifest["data"].replace(" ", "")

    scope = page.evaluate("navigator.serviceWorker.ready.then((r) => r.scope)")
    assert scope == live_server + "/"
    page.reload()  # now the worker controls the page
    assert page.evaluate("Boolean(navigator.serviceWorker.controller)")
    cached = page.evaluate(
        "caches.keys().then((names) => Promise.all(names.map((n) => caches.open(n)"
        ".then((c) => c.keys())))).then((lists) => lists.flat().map((r) => r.url))"
    )
    assert live_server + "/offline" in cached
    private = ("/recordings", "/dashboard", "/account", "/cameras")
    assert not [url for url in cached if url.removeprefix(live_server).startswith(private)]

    context.set_offline(True)
    page.goto(live_server + "/recordings")
    assert page.locator("#offline h1").inner_text() == "You are offline"
    assert owner_with_recordings["email"] not in page.content()
    context.set_offline(False)
    page.goto(live_server + "/recordings")
    assert page.locator("#recordings .clip").count() == 3
    context.close()


# The browser's own link to its push service is outside AlarmVault (Chromium's needs Google's
# servers): pushManager answers with a subscription at the local push service instead, made
# with the key the page passed, as a browser would. Everything else is the page's own script.
FAKE_PUSH_MANAGER = """
(() => {
  const stored = () => JSON.parse(localStorage.getItem("test-subscription") || "null");
  const wrap = (json) => json && {
    endpoint: json.endpoint,
    toJSON: () => json,
    unsubscribe: () => {
      localStorage.removeItem("test-subscription");
      return Promise.resolve(true);
    },
  };
  PushManager.prototype.subscribe = function (options) {
    const key = btoa(String.fromCharCode(...new Uint8Array(options.applicationServerKey)))
      .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
    localStorage.setItem("test-server-key", key);
    localStorage.setItem("test-subscription", JSON.stringify(window.TEST_SUBSCRIPTION));
    return Promise.resolve(wrap(window.TEST_SUBSCRIPTION));
  };
  PushManager.prototype.getSubscription = function () { return Promise.resolve(wrap(stored())); };
})();
"""


@pytest.fixture
def settings_dict(settings_dict):
    settings_dict["notifications"] = {"allow_private_webhook_targets": True}
    return settings_dict


def test_the_account_page_subscribes_this_phone_and_an_alarm_is_pushed_to_it(
    live_server, browser, owner_with_recordings, settings, catalog, index_recording_row
):
    from core.web_push import application_server_key
    from pipeline.integrations.dispatcher import NotificationDispatcher
    from tests.integrations.push_service import LocalPushService

    service = LocalPushService().start()
    dispatcher = NotificationDispatcher(settings, db=catalog)
    try:
        device = service.subscribe(application_server_key(settings))
        context = browser.new_context(**PHONE)
        context.grant_permissions(["notifications"], origin=live_server)
        context.add_init_script(
            f"window.TEST_SUBSCRIPTION = {json.dumps(device.as_json())};" + FAKE_PUSH_MANAGER
        )
        page = context.new_page()
        log_in(page, live_server, owner_with_recordings)
        page.goto(live_server + "/account#push")
        page.wait_for_selector("#push-on:visible")
        assert not page.locator("#push-off").is_visible()
        page.click("#push-on")
        page.wait_for_selector("#push-devices li")
        # The page lists the device and then swaps the buttons: wait for each, don't sample.
        page.wait_for_selector("#push-off:visible")
        assert page.locator("#push-devices li .this-device").is_visible()
        assert "This device gets a notification" in page.locator("#push-state").inner_text()
        assert page.evaluate("localStorage.getItem('test-server-key')") == (
            application_server_key(settings)
        )
        page.screenshot(path=str(SCREENS / "phone-light-account-push.png"), full_page=False)

        camera = owner_with_recordings["cameras"][0]
        alarm = index_recording_row(camera, labels=("person",))
        dispatcher.run_once()
        [push] = [push for push in service.received if push.message["recording_id"] == alarm]
        assert push.message["camera"] == camera["name"]
        # Worded for the reader, as the notification shows them.
        assert push.message["labels"] == ["Person"]

        page.click("#push-off")
        page.wait_for_selector("#push-devices-none")
        page.wait_for_selector("#push-on:visible")
        context.close()
    finally:
        dispatcher.stop()
        service.stop()
