"""End to end: a phone subscribed to push on the account page gets a push for an alarm that a
camera uploads over FTP to a whole AlarmVault (`alarmvault run`), through a push service that
speaks the Web Push protocol and decrypts it; the frame it names is the clip's best frame,
served to the owner's session only."""

from __future__ import annotations

import contextlib
import ftplib
import io
import re

import pytest
import requests

from tests.conftest import MODELS, requires_shared, wait_for
from tests.integrations.push_service import LocalPushService

EMAIL = "fenna@example.com"
PASSWORD = "fenna's long password 1"


@pytest.fixture
def settings_dict(settings_dict):
    requires_shared("models", "yolov8n_416x256.onnx")
    settings_dict["detection"] = {"models_dir": str(MODELS)}
    # The push service runs on loopback over plain http (a real one is https and public).
    settings_dict["notifications"] = {"allow_private_webhook_targets": True}
    return settings_dict


@pytest.fixture
def push_service():
    service = LocalPushService().start()
    yield service
    service.stop()


def upload(vault, camera: dict, name: str, data: bytes) -> None:
    host, port = vault.ftp_address
    with ftplib.FTP() as ftp:
        ftp.connect(host, port, timeout=30)
        ftp.login(camera["username"], camera["password"])
        for folder in ("instar", "20261125"):
            with contextlib.suppress(ftplib.error_perm):
                ftp.mkd(folder)
            ftp.cwd(folder)
        ftp.storbinary(f"STOR {name}", io.BytesIO(data))


def test_an_uploaded_alarm_is_pushed_to_the_subscribed_phone_with_camera_and_best_frame(
    vault, push_service, clip_factory
):
    vault.add_user(EMAIL, PASSWORD)
    camera = vault.add_camera(EMAIL)
    vault.cli_json("camera", "set", str(camera["id"]), "--detect", "objects")
    web = vault.web_login(EMAIL, PASSWORD)
    account = web.get(f"{vault.web_url}/account", timeout=10).text
    csrf = re.search(r'data-csrf="([^"]+)"', account).group(1)
    server_key = re.search(r'data-push-key="([^"]+)"', account).group(1)
    # What the page's script does after pushManager.subscribe() with the server's key.
    web.post(
        f"{vault.web_url}/account/timezone",
        data={"timezone": "Europe/Berlin", "csrf_token": csrf},
        timeout=10,
    )
    phone = push_service.subscribe(server_key)
    answer = web.post(
        f"{vault.web_url}/account/push-devices",
        json={"subscription": phone.as_json(), "name": "Fenna's phone"},
        headers={"X-CSRFToken": csrf},
        timeout=10,
    )
    assert answer.status_code == 201, answer.text

    people = clip_factory("vtest.mp4", seconds=6, width=1280, height=720, fps=15).read_bytes()
    upload(vault, camera, "A20261125_130501.mp4", people)

    [push] = wait_for(lambda: push_service.received, timeout=90, what="push received")
    assert push_service.refused == []
    message = push.message
    assert message["camera"] == "Porch"
    assert "Person" in message["labels"]  # what was seen, in the owner's words
    assert message["time"] == "2026-11-25 14:05:01 CET"  # filed in UTC, shown in Berlin: +1 h
    frame = web.get(vault.web_url + message["image"], timeout=10)
    assert frame.status_code == 200
    assert frame.headers["Content-Type"] == "image/jpeg"
    assert frame.content.startswith(b"\xff\xd8")
    # Only with the owner's session: the push passed a third party, the picture does not.
    stranger = requests.get(vault.web_url + message["image"], timeout=10)
    assert "/login" in stranger.url
    assert not stranger.content.startswith(b"\xff\xd8")
    assert phone.endpoint not in vault.log.read_text()  # a capability: never logged
