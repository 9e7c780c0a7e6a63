"""API fixtures: the real app over a real catalog, users with tokens, a fake camera."""

from __future__ import annotations

import pytest

from pipeline.catalog.tokens import create_token
from tests.integrations.fakes import FakeCamera, WebhookReceiver
from tests.webui.conftest import BufferedClient, store_recording  # noqa: F401 - a fixture
from webui import create_app


@pytest.fixture
def settings_dict(settings_dict):
    """Camera and webhook receivers run on loopback in tests; small limits to reach them."""
    settings_dict["api"] = {
        "camera_allow_loopback": True,
        "camera_timeout_s": 1.0,
        "requests_per_minute": 1000,
        "control_per_minute": 200,
    }
    settings_dict["notifications"] = {"allow_private_webhook_targets": True}
    return settings_dict


@pytest.fixture
def app(settings, catalog):
    app = create_app({"SETTINGS": settings, "TESTING": True})
    app.test_client_class = BufferedClient
    return app


@pytest.fixture
def client(app):
    return app.test_client()


class ApiUser:
    """A user with a token of each scope and a camera; ``get``/``post``… call the API."""

    def __init__(self, test_client, catalog, user: dict, camera: dict) -> None:
        self.client = test_client
        self.user = user
        self.camera = camera
        self.read_token = create_token(catalog, user["id"], "read", "read")[1]
        self.control_token = create_token(catalog, user["id"], "control", "control")[1]

    def call(self, method: str, path: str, *, scope: str = "control", **kwargs):
        token = self.control_token if scope == "control" else self.read_token
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return self.client.open("/api/v1" + path, method=method, headers=headers, **kwargs)

    def get(self, path: str, **kwargs):
        return self.call("GET", path, **kwargs)


@pytest.fixture
def api_user(client, catalog, make_user, make_camera):
    def _make(email: str | None = None, model: str = "IN-8015") -> ApiUser:
        user = make_user(email)
        return ApiUser(client, catalog, user, make_camera(user, model=model))

    return _make


@pytest.fixture
def alice(api_user):
    return api_user("alice@example.com")


@pytest.fixture
def bob(api_user):
    return api_user("bob@example.com", model="IN-9408")


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


def store_access(user: ApiUser, camera: FakeCamera, password: str | None = None):
    response = user.call(
        "PUT",
        f"/cameras/{user.camera['id']}/access",
        json={
            "address": camera.address,
            "username": camera.username,
            "password": password or camera.password,
            "dialect": camera.dialect,
        },
    )
    assert response.status_code == 200, response.json
    return response


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch):
    """Accounts made here need no brute-force resistance; argon2 at its cheapest saves ~0.5 s
    per user and camera on two shared cores."""
    from argon2 import PasswordHasher

    import pipeline.security

    monkeypatch.setattr(
        pipeline.security, "_hasher", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
