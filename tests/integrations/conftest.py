from __future__ import annotations

import secrets

import pytest

from core.catalog.notifications import add_target
from core.credential_box import load_credential_box
from tests.integrations.fakes import FakeCamera, Mosquitto, WebhookReceiver
from tests.loopback import free_port


@pytest.fixture(params=["fullhd", "wqhd"])
def fake_camera(request):
    camera = FakeCamera(request.param).start()
    yield camera
    camera.stop()


@pytest.fixture
def webhook_receiver():
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def mosquitto(tmp_path, mosquitto_port):
    broker = Mosquitto(tmp_path, mosquitto_port).start()
    yield broker
    broker.stop()


@pytest.fixture
def settings_dict(settings_dict, mosquitto_port):
    """Notifications to loopback receivers and the test broker; no backoff wait."""
    settings_dict["notifications"] = {
        "allow_private_webhook_targets": True,
        "backoff_s": 0.01,
        "backoff_max_s": 0.02,
        "max_attempts": 3,
        "webhook_timeout_s": 5,
        "mqtt": {"enabled": True, "port": mosquitto_port, "motion_off_delay_s": 5},
    }
    settings_dict["api"] = {"camera_allow_loopback": True, "camera_timeout_s": 1.0}
    return settings_dict


@pytest.fixture
def mosquitto_port():
    return free_port()


@pytest.fixture
def add_webhook(catalog, settings, webhook_receiver):
    box = load_credential_box(settings)

    def _add(user: dict, **options) -> dict:
        secret = secrets.token_urlsafe(16)
        webhook_receiver.secret = secret
        return add_target(
            catalog,
            user["id"],
            kind="webhook",
            name="hook",
            sealed_url=box.seal({"url": webhook_receiver.url}),
            url_host="127.0.0.1",
            sealed_secret=box.seal({"secret": secret}),
            **options,
        )

    return _add
