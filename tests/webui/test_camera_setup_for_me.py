""" "Set up this camera for me" against the fake camera that speaks both CGI dialects, with the
real upload server: AlarmVault writes the upload settings with a new password the owner never
sees, the camera's own upload test logs in to ingestd and uploads, and the page says how it
went. Also the live view on the camera page, in headless Chromium."""

from __future__ import annotations

import pytest

from core.catalog.camera_access import get_camera_access
from core.catalog.users import set_user_language
from core.security import verify_password
from tests.integrations.fakes import TEST_UPLOAD_NAME
from tests.webui.conftest import AuthActions

PASSWORD = "setup password 1"


@pytest.fixture
def settings_dict(settings_dict):
    # The fake camera listens on loopback; the camera's test upload takes a real login.
    settings_dict["api"] = {"camera_allow_loopback": True, "camera_timeout_s": 10.0}
    return settings_dict


def password_hash(catalog, camera_id: int) -> str:
    row = catalog.execute("SELECT password_hash FROM cameras WHERE id = ?", [camera_id])
    return row.fetchone()[0]


def form(fake_camera, protocol: str, **changes) -> dict:
    return {
        "address": fake_camera.address,
        "username": fake_camera.username,
        "password": fake_camera.password,
        "protocol": protocol,
        **changes,
    }


@pytest.mark.parametrize("protocol", ["ftp", "ftps", "sftp"])
def test_the_camera_gets_the_upload_settings_and_its_upload_test_reaches_ingestd(
    client, catalog, make_user, make_camera, fake_camera, ingestd, settings, protocol
):
    owner = make_user("setup@example.com", password=PASSWORD)
    model = "IN-9408" if fake_camera.dialect == "wqhd" else "IN-8015"
    camera = make_camera(owner, model=model, name="Drive")
    old_hash = password_hash(catalog, camera["id"])
    auth = AuthActions(client)
    auth.login_as(owner)
    response = auth.post(
        f"/cameras/{camera['id']}/setup-for-me",
        form(fake_camera, protocol),
        form_page=f"/cameras/{camera['id']}",
    )
    page = response.get_data(as_text=True)
    if protocol == "sftp" and fake_camera.dialect == "fullhd":
        # Only WQHD cameras upload by SFTP: not offered, and nothing sent to the camera.
        assert response.status_code == 400
        assert fake_camera.calls == []
        return
    assert response.status_code == 200, page[:2000]
    assert 'data-outcome="tested"' in page
    written = fake_camera.state.upload
    host, port = (settings.sftp if protocol == "sftp" else settings.ftp).listen.rsplit(":", 1)
    assert written["ft_server"] == host and written["ft_port"] == port
    assert written["ft_username"] == camera["username"]
    assert written["ft_ssl"] == {"ftp": "0", "ftps": "1", "sftp": "2"}[protocol]
    # A new upload password: in the camera, its hash in the catalog, and nowhere on the page.
    new_password = written["ft_password"]
    assert len(new_password) >= 16
    assert password_hash(catalog, camera["id"]) != old_hash
    assert verify_password(password_hash(catalog, camera["id"]), new_password)
    assert new_password not in page and fake_camera.password not in page
    # The dialect's own parameter spelling reached the camera.
    sent = next(call for call in fake_camera.cgi_calls() if call["cmd"] == "setftpattr")
    dash = "-" if fake_camera.dialect == "fullhd" else ""
    assert f"{dash}ft_server" in sent
    assert [call["cmd"] for call in fake_camera.cgi_calls()] == ["setftpattr", "testftp"]
    # The camera's test upload went through the real server into the camera's jail.
    arrived = [
        path
        for path in settings.storage.data_dir.rglob("*")
        if path.is_file() and path.read_bytes() == fake_camera.frames[0]
    ]
    assert arrived, f"the camera's test upload ({TEST_UPLOAD_NAME}) did not arrive"
    # The admin login is stored sealed: the live view works from now on.
    stored = get_camera_access(catalog, camera["id"])
    assert stored is not None and fake_camera.password not in stored["sealed"]
    assert (
        client.get(f"/integrations/cameras/{camera['id']}/snapshot.jpg").data
        == (fake_camera.frames[0])
    )


def test_a_wrong_admin_login_changes_nothing(client, catalog, make_user, make_camera, fake_camera):
    owner = make_user("setup@example.com", password=PASSWORD)
    model = "IN-9408" if fake_camera.dialect == "wqhd" else "IN-8015"
    camera = make_camera(owner, model=model)
    old_hash = password_hash(catalog, camera["id"])
    auth = AuthActions(client)
    auth.login_as(owner)
    response = auth.post(
        f"/cameras/{camera['id']}/setup-for-me",
        form(fake_camera, "ftps", password="wrong-password"),
        form_page=f"/cameras/{camera['id']}",
    )
    page = response.get_data(as_text=True)
    assert 'data-outcome="refused"' in page
    assert "refused the administrator login" in page and "Nothing was changed" in page
    assert password_hash(catalog, camera["id"]) == old_hash
    assert get_camera_access(catalog, camera["id"]) is None
    assert fake_camera.state.upload == {}


def test_a_german_owner_reads_why_the_set_up_failed_in_german(
    client, catalog, make_user, make_camera, fake_camera
):
    owner = make_user("setup@example.com", password=PASSWORD)
    set_user_language(catalog, owner["id"], "de")
    model = "IN-9408" if fake_camera.dialect == "wqhd" else "IN-8015"
    camera = make_camera(owner, model=model)
    auth = AuthActions(client)
    auth.login_as(owner)
    page = auth.post(
        f"/cameras/{camera['id']}/setup-for-me",
        form(fake_camera, "ftps", password="wrong-password"),
        form_page=f"/cameras/{camera['id']}",
    ).get_data(as_text=True)
    assert (
        "Die Kamera hat die Einstellungen nicht übernommen: die Kamera hat die"
        " Administrator-Zugangsdaten abgelehnt. Es wurde nichts geändert."
    ) in page


def test_a_failed_upload_test_is_shown_with_the_cameras_reason(
    client, catalog, make_user, make_camera, fake_camera
):
    # No upload server runs: the camera takes the settings, and its own test fails.
    owner = make_user("setup@example.com", password=PASSWORD)
    model = "IN-9408" if fake_camera.dialect == "wqhd" else "IN-8015"
    camera = make_camera(owner, model=model)
    auth = AuthActions(client)
    auth.login_as(owner)
    page = auth.post(
        f"/cameras/{camera['id']}/setup-for-me",
        form(fake_camera, "ftp"),
        form_page=f"/cameras/{camera['id']}",
    ).get_data(as_text=True)
    assert 'data-outcome="test_failed"' in page
    assert "upload test failed" in page
    assert fake_camera.state.upload["ft_password"] not in page


def test_another_users_camera_cannot_be_set_up(client, make_user, make_camera, fake_camera):
    camera = make_camera(make_user("owner@example.com"))
    intruder = make_user("intruder@example.com", password=PASSWORD)
    auth = AuthActions(client)
    auth.login_as(intruder)
    response = auth.post(
        f"/cameras/{camera['id']}/setup-for-me", form(fake_camera, "ftps"), form_page="/cameras"
    )
    assert response.status_code == 404
    assert fake_camera.calls == []


def test_a_hosted_install_offers_no_set_up_for_me(client, settings, make_user, make_camera):
    # Listening on every address (a hosted service): the server is not on the owner's LAN.
    settings.web.listen = "0.0.0.0:8080"
    owner = make_user("hosted@example.com", password=PASSWORD)
    camera = make_camera(owner)
    auth = AuthActions(client)
    auth.login_as(owner)
    page = client.get(f"/cameras/{camera['id']}").get_data(as_text=True)
    assert 'id="setup-for-me"' not in page
    response = auth.post(
        f"/cameras/{camera['id']}/setup-for-me",
        {"address": "192.168.1.20", "username": "admin", "password": "x", "protocol": "ftps"},
        form_page=f"/cameras/{camera['id']}",
    )
    assert response.status_code == 404
