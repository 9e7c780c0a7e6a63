"""The live picture is relayed through AlarmVault; the camera's login never reaches a client."""

from __future__ import annotations

import base64

import pytest

from tests.api.conftest import store_access
from tests.integrations.fakes import BOUNDARY
from tests.webui.conftest import AuthActions

# The REST API over the real Flask app, on a SQLite catalog and on PostgreSQL.
pytestmark = pytest.mark.both_engines


def test_the_snapshot_is_relayed_through_the_api(alice, fake_camera):
    store_access(alice, fake_camera)
    response = alice.get(f"/cameras/{alice.camera['id']}/snapshot", scope="read")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.data == fake_camera.frames[0]
    assert "no-store" in response.headers["Cache-Control"]


def test_the_mjpeg_stream_is_relayed_frame_by_frame(alice, fake_camera):
    store_access(alice, fake_camera)
    response = alice.get(f"/cameras/{alice.camera['id']}/live.mjpeg", scope="read")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == f"multipart/x-mixed-replace; boundary={BOUNDARY}"
    assert all(frame in response.data for frame in fake_camera.frames)


def test_nothing_of_the_camera_login_reaches_the_client(alice, fake_camera):
    store_access(alice, fake_camera)
    response = alice.get(f"/cameras/{alice.camera['id']}/snapshot")
    secret = base64.b64encode(f"{fake_camera.username}:{fake_camera.password}".encode())
    blob = b"".join(f"{k}: {v}".encode() for k, v in response.headers.items()) + response.data
    assert fake_camera.password.encode() not in blob and secret not in blob


def test_the_live_page_shows_the_relayed_stream_to_its_owner_only(client, alice, bob, fake_camera):
    store_access(alice, fake_camera)
    camera = alice.camera["id"]
    AuthActions(client).login_as(alice.user)
    page = client.get(f"/integrations/cameras/{camera}/live").get_data(as_text=True)
    assert f"/integrations/cameras/{camera}/live.mjpeg" in page
    assert fake_camera.address not in page and fake_camera.password not in page
    picture = client.get(f"/integrations/cameras/{camera}/snapshot.jpg")
    assert picture.data == fake_camera.frames[0]
    stream = client.get(f"/integrations/cameras/{camera}/live.mjpeg")
    assert fake_camera.frames[-1] in stream.data

    other = client.application.test_client()
    AuthActions(other).login_as(bob.user)
    for suffix in ("live", "snapshot.jpg", "live.mjpeg"):
        assert other.get(f"/integrations/cameras/{camera}/{suffix}").status_code == 404


def test_the_login_stored_through_the_integrations_page_is_sealed_and_used(
    client, catalog, alice, fake_camera
):
    from core.catalog.camera_access import get_camera_access

    camera = alice.camera["id"]
    auth = AuthActions(client)
    auth.login_as(alice.user)
    response = auth.post(
        f"/integrations/cameras/{camera}/access",
        {
            "address": fake_camera.address,
            "username": fake_camera.username,
            "password": fake_camera.password,
            "dialect": fake_camera.dialect,
        },
    )
    assert response.status_code == 302
    stored = get_camera_access(catalog, camera)
    assert stored["dialect"] == fake_camera.dialect
    assert fake_camera.password not in stored["sealed"]
    assert client.get(f"/integrations/cameras/{camera}/snapshot.jpg").data == fake_camera.frames[0]
