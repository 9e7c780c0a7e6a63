"""The camera CGI client against a fake camera that speaks each dialect and records calls."""

from __future__ import annotations

import time

import pytest

from core.camera_cgi import (
    CameraClient,
    CameraError,
    CameraLogin,
    CameraLoginRefused,
    CameraTimeout,
    CameraUnreachable,
    dialect_for_model,
    parse_cgi_answer,
)
from core.http_target import AddressPolicy
from tests.loopback import free_port

EXPECTED = {
    "fullhd": {
        "motion_off": [{"cmd": "setmdattr", "-name": str(n), "-enable": "0"} for n in range(1, 5)],
        "email_on": [{"cmd": "setmdalarm", "-aname": "emailsnap", "-switch": "on"}],
        "preset": [{"cmd": "preset", "-act": "goto", "-number": "3"}],
        "area": [{"cmd": "setmdattr", "-name": "2", "-enable": "1", "-s": "75"}],
    },
    "wqhd": {
        "motion_off": [{"cmd": "setalarmattr", "armed": "0"}],
        "email_on": [{"cmd": "setmaaction", "enable": "1"}],
        "preset": [{"cmd": "setptzpreset", "act": "goto", "index": "3"}],
        "area": [{"cmd": "setmdattr", "area": "2", "enable": "1", "s": "75"}],
    },
}


def client_for(camera, password: str | None = None, timeout: float = 2.0) -> CameraClient:
    login = CameraLogin(
        camera.address, camera.username, password or camera.password, camera.dialect
    )
    return CameraClient(login, timeout=timeout, policy=AddressPolicy.ANY)


def test_each_control_sends_the_dialects_cgi_command_with_basic_auth(fake_camera):
    client = client_for(fake_camera)
    expected = EXPECTED[fake_camera.dialect]

    client.set_motion_detection(False)
    assert fake_camera.cgi_calls() == expected["motion_off"]
    fake_camera.calls.clear()
    client.set_alarm_email(True)
    assert fake_camera.cgi_calls() == expected["email_on"]
    fake_camera.calls.clear()
    client.goto_preset(3)
    assert fake_camera.cgi_calls() == expected["preset"]
    fake_camera.calls.clear()
    client.set_alarm_area(2, True, 75)
    assert fake_camera.cgi_calls() == expected["area"]

    assert {call.login for call in fake_camera.calls} == {
        (fake_camera.username, fake_camera.password)
    }
    assert fake_camera.state.preset == "3"
    assert fake_camera.state.areas["2"] == {"enable": "1", "s": "75"}
    assert fake_camera.state.email == "1"


def test_motion_detection_off_disarms_the_camera(fake_camera):
    client_for(fake_camera).set_motion_detection(False)
    if fake_camera.dialect == "wqhd":
        assert fake_camera.state.armed == "0"
    else:
        assert all(area["enable"] == "0" for area in fake_camera.state.areas.values())


def test_a_wrong_login_is_reported_as_refused(fake_camera):
    with pytest.raises(CameraLoginRefused):
        client_for(fake_camera, password="wrong").goto_preset(1)


def test_an_error_line_from_the_camera_becomes_a_camera_error(fake_camera):
    client = client_for(fake_camera)
    with pytest.raises(CameraError, match="refused the command"):
        client.run([{"cmd": "nosuchcommand"}])


def test_a_camera_http_error_is_reported_with_its_status(fake_camera):
    fake_camera.fail_status = 500
    with pytest.raises(CameraError, match="HTTP 500"):
        client_for(fake_camera).set_alarm_email(False)


def test_a_camera_that_never_answers_is_unreachable_after_its_timeout(fake_camera):
    fake_camera.delay_s = 1.0
    started = time.monotonic()
    with pytest.raises(CameraUnreachable):
        client_for(fake_camera, timeout=0.2).set_alarm_email(False)
    assert time.monotonic() - started < 0.6


def test_a_camera_that_trickles_its_answer_times_out_at_the_deadline(fake_camera):
    fake_camera.trickle_s = 0.05  # a picture of ~2 KB would take ~100 s
    started = time.monotonic()
    with pytest.raises(CameraTimeout):
        client_for(fake_camera, timeout=0.5).snapshot()
    assert time.monotonic() - started < 1.0


def test_a_camera_that_is_not_listening_is_unreachable():
    login = CameraLogin(f"127.0.0.1:{free_port()}", "admin", "pw", "wqhd")
    with pytest.raises(CameraUnreachable):
        CameraClient(login, timeout=1, policy=AddressPolicy.ANY).set_alarm_email(True)


def test_loopback_camera_addresses_are_refused_by_the_lan_policy(fake_camera):
    login = CameraLogin(fake_camera.address, "admin", "pw", fake_camera.dialect)
    with pytest.raises(CameraUnreachable):
        CameraClient(login, timeout=1, policy=AddressPolicy.LAN).set_alarm_email(True)
    assert fake_camera.calls == []


def test_snapshot_and_mjpeg_come_from_the_camera(fake_camera):
    client = client_for(fake_camera)
    assert client.snapshot() == fake_camera.frames[0]
    content_type, chunks = client.mjpeg_stream(max_s=10)
    assert content_type.startswith("multipart/x-mixed-replace")
    data = b"".join(chunks)
    assert all(frame in data for frame in fake_camera.frames)


def test_out_of_range_values_never_reach_the_camera(fake_camera):
    client = client_for(fake_camera)
    for call in (
        lambda: client.goto_preset(8),
        lambda: client.set_alarm_area(5, True),
        lambda: client.set_alarm_area(1, True, 101),
    ):
        with pytest.raises(ValueError):
            call()
    assert fake_camera.calls == []


def test_the_login_never_appears_in_the_clients_repr():
    login = CameraLogin("192.168.1.20", "admin", "s3cret-pass", "fullhd")
    assert "s3cret" not in repr(login) and "192.168" not in repr(login)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('var m1_enable="1";\r\nvar m1_s="50";\r\n', {"m1_enable": "1", "m1_s": "50"}),
        ('cmd="setalarmattr";\nresponse="200";\n', {"cmd": "setalarmattr", "response": "200"}),
        ("[Succeed]set ok.\r\n", {}),
    ],
)
def test_cgi_answers_are_parsed_in_both_dialects(text, expected):
    assert parse_cgi_answer(text) == expected


@pytest.mark.parametrize("text", ["[Error] Error. param is invalid.", 'error="no right";'])
def test_cgi_error_answers_raise(text):
    with pytest.raises(CameraError):
        parse_cgi_answer(text)


@pytest.mark.parametrize(
    ("model", "dialect"),
    [
        ("IN-8015", "fullhd"),
        ("IN-9020", "fullhd"),
        ("IN-8415", "wqhd"),
        ("IN-9408", "wqhd"),
        ("IN-5905", "fullhd"),
    ],
)
def test_the_dialect_follows_the_camera_series(model, dialect):
    assert dialect_for_model(model) == dialect


def test_upload_settings_go_out_in_the_dialects_spelling_and_others_never(fake_camera):
    client = client_for(fake_camera)
    client.set_upload({"ft_server": "192.168.1.5", "ft_port": "21", "ft_ssl": "1"})
    dash = "-" if fake_camera.dialect == "fullhd" else ""
    assert fake_camera.cgi_calls() == [
        {
            "cmd": "setftpattr",
            f"{dash}ft_server": "192.168.1.5",
            f"{dash}ft_port": "21",
            f"{dash}ft_ssl": "1",
        }
    ]
    with pytest.raises(ValueError):
        client.set_upload({"ft_server": "x", "cmd": "reboot"})
    assert len(fake_camera.calls) == 1


def test_the_cameras_failed_upload_test_is_a_camera_error_with_its_reason(fake_camera):
    # No server listens where the camera is sent: its own test fails and says so.
    client = client_for(fake_camera)
    client.set_upload(
        {
            "ft_server": "127.0.0.1",
            "ft_port": str(free_port()),
            "ft_username": "u",
            "ft_password": "p",
            "ft_ssl": "0",
        }
    )
    with pytest.raises(CameraError, match="upload test failed"):
        client.run_upload_test()
