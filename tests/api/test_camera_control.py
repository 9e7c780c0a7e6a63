"""Cameras, alarm settings, the stored camera login and control through the camera's CGI."""

from __future__ import annotations

import logging

import pytest

from tests.api.conftest import store_access
from tests.conftest import catalog_dump

# The REST API over the real Flask app, on a SQLite catalog and on PostgreSQL.
pytestmark = pytest.mark.both_engines

CONTROL_CALLS = [
    ("PUT", "/control/motion-detection", {"enabled": False}),
    ("PUT", "/control/alarm-email", {"enabled": True}),
    ("POST", "/control/preset", {"number": 5}),
    ("PUT", "/control/areas/3", {"enabled": True, "sensitivity": 80}),
]
EXPECTED_CGI = {
    "fullhd": [
        [{"cmd": "setmdattr", "-name": str(n), "-enable": "0"} for n in range(1, 5)],
        [{"cmd": "setmdalarm", "-aname": "emailsnap", "-switch": "on"}],
        [{"cmd": "preset", "-act": "goto", "-number": "5"}],
        [{"cmd": "setmdattr", "-name": "3", "-enable": "1", "-s": "80"}],
    ],
    "wqhd": [
        [{"cmd": "setalarmattr", "armed": "0"}],
        [{"cmd": "setmaaction", "enable": "1"}],
        [{"cmd": "setptzpreset", "act": "goto", "index": "5"}],
        [{"cmd": "setmdattr", "area": "3", "enable": "1", "s": "80"}],
    ],
}


def test_cameras_list_shows_only_the_callers_cameras(alice, bob):
    items = alice.get("/cameras", scope="read").json["items"]
    assert [camera["id"] for camera in items] == [alice.camera["id"]]
    assert items[0]["alarm_settings"] == {"armed": True, "notify": True}
    assert items[0]["access"] == {"stored": False, "dialect": None}


def test_alarm_settings_switch_without_a_stored_login(alice):
    path = f"/cameras/{alice.camera['id']}/alarm-settings"
    response = alice.call("PATCH", path, json={"notify": False})
    assert response.json == {"armed": True, "notify": False, "camera_updated": False}
    response = alice.call("PATCH", path, json={"armed": False})
    assert response.json == {"armed": False, "notify": False, "camera_updated": False}
    assert alice.get(f"/cameras/{alice.camera['id']}").json["alarm_settings"] == {
        "armed": False,
        "notify": False,
    }


def test_every_control_reaches_the_camera_in_its_dialect(alice, fake_camera):
    store_access(alice, fake_camera)
    for (method, suffix, body), expected in zip(
        CONTROL_CALLS, EXPECTED_CGI[fake_camera.dialect], strict=True
    ):
        fake_camera.calls.clear()
        response = alice.call(method, f"/cameras/{alice.camera['id']}{suffix}", json=body)
        assert response.status_code == 200, response.json
        assert response.json == {"ok": True, "dialect": fake_camera.dialect}
        assert fake_camera.cgi_calls() == expected
        assert all(
            call.login == (fake_camera.username, fake_camera.password) for call in fake_camera.calls
        )


def test_arming_with_a_stored_login_switches_the_cameras_detection(alice, fake_camera):
    store_access(alice, fake_camera)
    response = alice.call(
        "PATCH", f"/cameras/{alice.camera['id']}/alarm-settings", json={"armed": False}
    )
    assert response.json == {"armed": False, "notify": True, "camera_updated": True}
    assert fake_camera.cgi_calls()


def test_a_camera_error_leaves_the_alarm_setting_unchanged(alice, fake_camera):
    store_access(alice, fake_camera)
    fake_camera.fail_status = 500
    response = alice.call(
        "PATCH", f"/cameras/{alice.camera['id']}/alarm-settings", json={"armed": False}
    )
    assert response.status_code == 502
    assert "HTTP 500" in response.json["message"]
    assert alice.get(f"/cameras/{alice.camera['id']}").json["alarm_settings"]["armed"] is True


def test_camera_failures_come_back_as_clear_errors(alice, fake_camera):
    path = f"/cameras/{alice.camera['id']}/control/preset"
    response = alice.call("POST", path, json={"number": 1})
    assert (response.status_code, response.json["error"]) == (409, "no_camera_access")

    store_access(alice, fake_camera, password="wrong-password")
    response = alice.call("POST", path, json={"number": 1})
    assert (response.status_code, response.json["error"]) == (502, "camera_login_refused")

    store_access(alice, fake_camera)
    fake_camera.delay_s = 1.5  # no answer at all: the same error as a closed port
    response = alice.call("POST", path, json={"number": 1})
    assert (response.status_code, response.json["error"]) == (502, "camera_unreachable")


def test_out_of_range_values_are_refused_before_the_camera(alice, fake_camera):
    store_access(alice, fake_camera)
    camera = alice.camera["id"]
    assert (
        alice.call("POST", f"/cameras/{camera}/control/preset", json={"number": 8}).status_code
        == 422
    )
    assert (
        alice.call(
            "PUT", f"/cameras/{camera}/control/areas/1", json={"enabled": True, "sensitivity": 0}
        ).status_code
        == 422
    )
    assert (
        alice.call("PUT", f"/cameras/{camera}/control/areas/5", json={"enabled": True}).status_code
        == 404
    )
    assert (
        alice.call(
            "PUT", f"/cameras/{camera}/control/alarm-email", json={"enabled": "yes"}
        ).status_code
        == 422
    )
    assert fake_camera.calls == []


def test_the_camera_login_is_stored_encrypted_and_never_shown(alice, fake_camera, catalog, caplog):
    caplog.set_level(logging.DEBUG)
    response = store_access(alice, fake_camera)
    assert response.json == {"stored": True, "dialect": fake_camera.dialect}
    dump = catalog_dump(catalog)
    assert f"camera_access: {{'camera_id': {alice.camera['id']}," in dump  # the sealed row
    assert fake_camera.password not in dump and fake_camera.address not in dump
    shown = alice.get(f"/cameras/{alice.camera['id']}").get_data(as_text=True)
    shown += alice.get("/cameras").get_data(as_text=True)
    assert fake_camera.password not in shown and fake_camera.address not in shown
    alice.call("POST", f"/cameras/{alice.camera['id']}/control/preset", json={"number": 2})
    assert fake_camera.password not in caplog.text
    assert fake_camera.address not in caplog.text


def test_forgetting_the_login_stops_control(alice, fake_camera):
    store_access(alice, fake_camera)
    assert alice.call("DELETE", f"/cameras/{alice.camera['id']}/access").status_code == 204
    response = alice.call(
        "PUT", f"/cameras/{alice.camera['id']}/control/alarm-email", json={"enabled": False}
    )
    assert response.status_code == 409


def test_camera_addresses_inside_the_server_are_refused_without_the_test_switch(app, alice):
    app.config["SETTINGS"].api.camera_allow_loopback = False
    for address in (
        "127.0.0.1",
        "http://169.254.169.254",
        "https://[::1]:8443",
        "http://cam.example/path",
        "ftp://192.168.1.2",
        "user:pw@192.168.1.2",
    ):
        response = alice.call(
            "PUT",
            f"/cameras/{alice.camera['id']}/access",
            json={"address": address, "username": "admin", "password": "x"},
        )
        assert response.status_code == 422, address
    response = alice.call(
        "PUT",
        f"/cameras/{alice.camera['id']}/access",
        json={"address": "192.168.1.20:8080", "username": "admin", "password": "x"},
    )
    assert response.status_code == 200


def test_the_dialect_defaults_from_the_camera_model(alice, bob):
    for user, dialect in ((alice, "fullhd"), (bob, "wqhd")):
        response = user.call(
            "PUT",
            f"/cameras/{user.camera['id']}/access",
            json={"address": "192.168.1.20", "username": "a", "password": "b"},
        )
        assert response.json["dialect"] == dialect


def test_alarm_settings_changes_count_against_the_camera_call_limit(alice, settings):
    # Arming switches the camera's motion detection: the same limit as every camera call.
    settings.api.control_per_minute = 3
    path = f"/cameras/{alice.camera['id']}/alarm-settings"
    statuses = [alice.call("PATCH", path, json={"armed": n % 2 == 0}).status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = alice.call(
        "POST", f"/cameras/{alice.camera['id']}/control/preset", json={"number": 1}
    )
    assert refused.status_code == 429
