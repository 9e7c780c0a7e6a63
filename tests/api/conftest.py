"""API fixtures: the real app over a real catalog, users with tokens, a fake camera."""

from __future__ import annotations

import pytest

from core.catalog.tokens import create_token
from tests.integrations.conftest import fake_camera, webhook_receiver  # noqa: F401 - fixtures
from tests.integrations.fakes import FakeCamera
from tests.webui.conftest import app, client, store_recording, store_still  # noqa: F401 - fixtures


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
def api_user(client, catalog, make_user, make_camera):  # noqa: F811 - the fixture
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
