"""Every API operation on another owner's object answers 404, exactly like a missing one, and
changes nothing. The operations come from the served OpenAPI document, so a new endpoint is
covered (or this test fails) without anyone remembering to add it."""

from __future__ import annotations

import re
import time

import pytest

from core.camera_cgi import UNREACHABLE
from core.catalog import atomic
from core.catalog.browse import set_released
from core.catalog.notifications import add_target
from core.catalog.plates import add_known_plate
from tests.api.conftest import ApiUser, store_access
from tests.webui.conftest import AuthActions
from webui.api.camera_slots import camera_call_slots
from webui.api.openapi import PATHS

# The REST API over the real Flask app, on a SQLite catalog and on PostgreSQL.
pytestmark = pytest.mark.both_engines

BODIES = {
    "/cameras/{camera_id}/alarm-settings": {"armed": False},
    "/cameras/{camera_id}/access": {"address": "192.168.1.9", "username": "u", "password": "p"},
    "/cameras/{camera_id}/control/motion-detection": {"enabled": False},
    "/cameras/{camera_id}/control/alarm-email": {"enabled": False},
    "/cameras/{camera_id}/control/preset": {"number": 1},
    "/cameras/{camera_id}/control/areas/{area}": {"enabled": False},
    "/notifications/{target_id}": {"enabled": False},
}
OPERATIONS = [
    (method.upper(), path)
    for path, item in PATHS.items()
    for method in item
    if "{" in path and path != "/downloads/{recording_id}"
]


@pytest.fixture
def victim(alice, catalog, store_recording, store_still, fake_camera):
    """Alice's camera (with stored login), recording with a still, notification target, token
    and named plate."""
    store_access(alice, fake_camera)
    fake_camera.calls.clear()
    recording = store_recording(alice.camera, poster=False)
    still = store_still(alice.camera, recording["started_at"])
    target = add_target(catalog, alice.user["id"], kind="email", name="mine")
    token_id = alice.get("/me", scope="read").json["token"]["id"]
    plate = add_known_plate(catalog, alice.user["id"], "RHA0A01", "our car")
    return {
        "plate_id": plate["id"],
        "camera_id": alice.camera["id"],
        "recording_id": recording["id"],
        "still_id": still["id"],
        "target_id": target["id"],
        "token_id": token_id,
        "area": 1,
    }


def snapshot(catalog) -> list:
    """What another owner's call must not change (the caller's own token may note its use)."""
    with atomic(catalog):
        return [
            list(catalog.query(f"SELECT * FROM {table} ORDER BY 1"))  # noqa: S608
            for table in (
                "camera_access",
                "camera_alarm_settings",
                "notification_targets",
                "known_plates",
                "recordings",
                "stills",
                "cameras",
            )
        ] + [list(catalog.query("SELECT id, revoked_at FROM api_tokens ORDER BY id"))]


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=lambda x: x)
@pytest.mark.parametrize("fake_camera", ["wqhd"], indirect=True)
def test_another_owners_object_is_404_and_untouched(
    method, path, alice, bob, victim, catalog, fake_camera
):
    before = snapshot(catalog)
    url = re.sub(r"\{(\w+)\}", lambda match: str(victim[match[1]]), path)
    response = bob.call(method, url, json=BODIES.get(path))
    assert response.status_code == 404, (url, response.json)
    assert response.json["error"] == "not_found"
    assert snapshot(catalog) == before
    assert fake_camera.calls == []


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=lambda x: x)
@pytest.mark.parametrize("fake_camera", ["wqhd"], indirect=True)
def test_a_missing_object_is_404_too(method, path, alice, victim, fake_camera):
    url = re.sub(r"\{(\w+)\}", lambda m: "1" if m[1] == "area" else "987654321", path)
    response = alice.call(method, url, json=BODIES.get(path))
    assert response.status_code == 404, url


def test_filters_naming_another_owners_camera_are_404(alice, bob, victim):
    for path in ("/recordings", "/recordings/latest", "/events", "/events/counts"):
        response = bob.get(f"{path}?camera_id={victim['camera_id']}")
        assert response.status_code == 404, path


def test_lists_never_show_another_owners_objects(alice, bob, victim):
    for path in ("/cameras", "/recordings", "/events", "/notifications", "/tokens", "/plates"):
        items = bob.get(path).json["items"]
        assert all(item.get("camera_id", bob.camera["id"]) == bob.camera["id"] for item in items)
        assert victim["recording_id"] not in [item.get("recording_id") for item in items]
    assert [camera["id"] for camera in bob.get("/cameras").json["items"]] == [bob.camera["id"]]
    assert bob.get("/notifications").json["items"] == []
    assert bob.get("/plates").json["items"] == []
    assert victim["token_id"] not in [token["id"] for token in bob.get("/tokens").json["items"]]
    assert bob.get("/storage").json["recordings"] == 0


def test_the_document_lists_exactly_the_served_operations(app):
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("api.v1."):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        served |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(m.upper(), p) for p, item in PATHS.items() for m in item}
    assert served - {("GET", "/openapi.json")} == documented


def test_admin_rights_never_reach_the_api(alice, bob, client, catalog, make_user, store_recording):
    """The UI shows an admin what owners released; the API shows a token only its owner's
    recordings, whether the token is an admin's or an admin is logged in to the same browser."""
    recording = store_recording(alice.camera, poster=False)
    set_released(catalog, [recording["id"]], True)
    admin = ApiUser(client, catalog, make_user("admin@example.com", is_admin=True), bob.camera)
    AuthActions(client).login_as(admin.user)
    assert client.get(f"/recordings/{recording['id']}").status_code == 200
    for caller in (admin, bob):
        for method, path in (
            ("GET", f"/recordings/{recording['id']}"),
            ("POST", f"/recordings/{recording['id']}/download-url"),
        ):
            response = caller.call(method, path)
            assert response.status_code == 404, (caller.user["email"], path)
            assert response.json == {"error": "not_found", "message": "no such recording"}


# --- camera calls: every operation that reaches a camera (it documents 502), from the document


CAMERA_CALLS = [
    (method.upper(), path)
    for path, item in PATHS.items()
    for method, operation in item.items()
    if "502" in operation["responses"]
]


def camera_call_url(path: str, camera_id: int) -> str:
    return path.replace("{camera_id}", str(camera_id)).replace("{area}", "1")


def test_the_document_names_the_camera_calls():
    # A camera call left out of the document would slip out of the tests below.
    assert ("GET", "/cameras/{camera_id}/snapshot") in CAMERA_CALLS
    assert ("GET", "/cameras/{camera_id}/live.mjpeg") in CAMERA_CALLS
    assert len(CAMERA_CALLS) >= 7


@pytest.mark.parametrize("fake_camera", ["wqhd"], indirect=True)
def test_every_camera_call_holds_one_of_its_accounts_slots(app, alice, bob, fake_camera):
    """Issue 15, item 2: an account with all its camera calls running gets 429 on every camera
    call and its camera is not called; another account's calls are not held up by it."""
    store_access(alice, fake_camera)
    store_access(bob, fake_camera)
    fake_camera.calls.clear()
    with app.app_context():
        slots = camera_call_slots()
    for _ in range(slots.per_account):
        assert slots.take(alice.user["id"]) is True
    try:
        for method, path in CAMERA_CALLS:
            fake_camera.calls.clear()
            response = alice.call(
                method, camera_call_url(path, alice.camera["id"]), json=BODIES.get(path)
            )
            assert response.status_code == 429, path
            assert response.json["error"] == "too_many_camera_calls", path
            assert response.headers["Retry-After"], path
            assert fake_camera.calls == [], path
            response = bob.call(
                method, camera_call_url(path, bob.camera["id"]), json=BODIES.get(path)
            )
            response.close()
            assert response.status_code not in (429, 503), (path, response.status_code)
    finally:
        for _ in range(slots.per_account):
            slots.give_back(alice.user["id"])
    assert slots.running() == 0  # every call gave its slot back, streams included


@pytest.mark.parametrize("fake_camera", ["wqhd"], indirect=True)
def test_every_camera_call_ends_at_its_deadline(alice, fake_camera, settings):
    """Issue 15, item 2: a camera that does not answer holds no call past ``camera_timeout_s``."""
    store_access(alice, fake_camera)
    fake_camera.delay_s = 3 * settings.api.camera_timeout_s
    for method, path in CAMERA_CALLS:
        started = time.monotonic()
        response = alice.call(
            method, camera_call_url(path, alice.camera["id"]), json=BODIES.get(path)
        )
        response.close()
        took = time.monotonic() - started
        # No answer head: the uniform 502 (no port-scanner oracle); a head then silence: 504.
        assert response.status_code in (502, 504), (path, response.status_code)
        assert took < settings.api.camera_timeout_s + 1.0, (path, took)


@pytest.mark.parametrize("fake_camera", ["wqhd"], indirect=True)
def test_every_camera_call_refuses_an_address_the_networks_do_not_allow(app, alice, fake_camera):
    """Issue 15, item 6: an address stored while it was allowed (here loopback, allowed in
    tests) is never contacted once ``camera_networks`` no longer allows it, by any camera call,
    and the answer is the one uniform 502."""
    store_access(alice, fake_camera)
    fake_camera.calls.clear()
    app.config["SETTINGS"].api.camera_allow_loopback = False
    for method, path in CAMERA_CALLS:
        response = alice.call(
            method, camera_call_url(path, alice.camera["id"]), json=BODIES.get(path)
        )
        assert response.status_code == 502, (path, response.status_code)
        assert response.json == {"error": "camera_unreachable", "message": UNREACHABLE}, path
    assert fake_camera.calls == []
