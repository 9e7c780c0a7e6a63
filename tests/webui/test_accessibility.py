"""Every page in headless Chromium with axe-core injected: logged out, an owner's pages (a
recording with snapshots, a camera with live view and set-up-for-me, the account with a push
device, the statistics) and the admin's, at desk (1280 px) and phone (390 px) width,
in light and dark colour schemes. No serious or critical violation may remain. Each view is
also saved as a screenshot to test-output/screens/ for a reviewer to look at."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from core.catalog.notices import insert_notice
from core.catalog.plates import add_known_plate
from tests.conftest import REPO, TEST_OUTPUT, label_recording

pytestmark = pytest.mark.browser

AXE = REPO / "tests" / "webui" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SCREENS = TEST_OUTPUT / "screens"
FAILING_IMPACTS = ("serious", "critical")


@dataclass(frozen=True)
class View:
    width: int
    height: int
    scheme: str

    @property
    def name(self) -> str:
        return f"{'desk' if self.width > 600 else 'phone'}-{self.scheme}"


VIEWS = [
    View(1280, 900, "light"),
    View(1280, 900, "dark"),
    View(390, 844, "light"),
    View(390, 844, "dark"),
]

# Runs in the page: axe's violations, each with the first few elements it names.
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 4).map(n => n.target.join(" ")),
  }));
}"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.skip(f"{AXE.relative_to(REPO)} is absent: `make test` installs it (npm ci)")
    return AXE.read_text(encoding="utf-8")


def log_in(browser, base: str, user: dict) -> dict:
    """The browser state of a logged-in ``user`` (cookies), for every view's context."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(base + "/login")
    page.fill("input[name=email]", user["email"])
    page.fill("input[name=password]", user["password"])
    page.click("main button[type=submit]")
    page.wait_for_url("**/dashboard")
    state = context.storage_state()
    context.close()
    return state


def check_pages(browser, axe_source, base, paths, state, label) -> list[str]:
    """Open each page in every view, save a screenshot, and return axe's serious and
    critical findings as readable lines."""
    problems = []
    for view in VIEWS:
        context = browser.new_context(
            viewport={"width": view.width, "height": view.height},
            is_mobile=view.width < 600,
            color_scheme=view.scheme,
            storage_state=state,
            # The pages' CSP allows only their own scripts; axe comes from the test.
            bypass_csp=True,
        )
        page = context.new_page()
        for name, path in paths:
            response = page.goto(base + path)
            assert response is not None and response.status < 500, f"{path}: {response}"
            page.wait_for_load_state("load")
            page.screenshot(path=str(SCREENS / f"{label}-{name}-{view.name}.png"), full_page=True)
            page.add_script_tag(content=axe_source)
            for violation in page.evaluate(RUN_AXE):
                if violation["impact"] in FAILING_IMPACTS:
                    problems.append(
                        f"{path} ({view.name}): {violation['impact']} {violation['id']}: "
                        f"{violation['help']} {json.dumps(violation['nodes'])}"
                    )
        context.close()
    return problems


def test_every_page_has_no_serious_accessibility_violation_at_any_size_or_scheme(
    live_server,
    browser,
    axe_source,
    make_user,
    make_camera,
    store_recording,
    catalog,
    with_every_feature,
):
    SCREENS.mkdir(parents=True, exist_ok=True)
    owner = make_user("carla@example.com", password="carla's password 1")
    admin = make_user("admin@example.com", password="admins password 1", is_admin=True)
    garden = make_camera(owner, name="Garden")
    make_camera(owner, name="Porch", model="IN-9408")
    recording = store_recording(garden, "2026-11-25T13:05:01+00:00")
    store_recording(garden, "2026-11-24T09:00:00+00:00")
    label_recording(catalog, recording["id"], "person", score=0.91, first_s=3.0, last_s=12.5)
    catalog.execute("UPDATE recordings SET released = 1 WHERE id = ?", [recording["id"]])
    add_known_plate(catalog, owner["id"], "RHA 0A01", "our car")
    insert_notice(
        catalog,
        user_id=owner["id"],
        camera_id=garden["id"],
        kind="long_clip",
        title="Camera Garden uploads clips longer than 18 seconds",
        body="Camera Garden uploaded a 30 s alarm clip.",
        advice=["Check the camera's alarm recording length."],
        evidence={},
        created_at="2026-11-25T13:05:01+00:00",
    )
    # Stills on the recording's page, the live view on the camera's, a phone on the account's.
    with_every_feature(owner, garden, recording)

    logged_out = [
        ("login", "/login"),
        ("register", "/register"),
        ("reset", "/reset"),
        ("opt-out", "/mail/opt-out/not-a-key/alarms"),
        ("offline", "/offline"),
    ]
    owner_pages = [
        ("dashboard", "/dashboard"),
        ("recordings", "/recordings"),
        ("recording", f"/recordings/{recording['id']}"),
        ("cameras", "/cameras"),
        ("camera-add", "/cameras/add"),
        ("camera", f"/cameras/{garden['id']}"),
        ("account", "/account"),
        ("integrations", "/integrations"),
        ("statistics", "/statistics"),
        ("statistics-camera", f"/statistics?camera={garden['id']}"),
    ]
    admin_pages = [
        ("admin", "/admin"),
        ("admin-users", "/admin/users"),
        ("admin-cameras", "/admin/cameras"),
        ("admin-rejections", "/admin/rejections"),
        ("admin-released", "/admin/released"),
    ]
    problems = check_pages(browser, axe_source, live_server, logged_out, None, "public")
    problems += check_pages(
        browser, axe_source, live_server, owner_pages, log_in(browser, live_server, owner), "owner"
    )
    problems += check_pages(
        browser, axe_source, live_server, admin_pages, log_in(browser, live_server, admin), "admin"
    )
    assert problems == [], "\n".join(problems)
    shots = list(SCREENS.glob("*.png"))
    assert len(shots) >= len(VIEWS) * (len(logged_out) + len(owner_pages) + len(admin_pages))
