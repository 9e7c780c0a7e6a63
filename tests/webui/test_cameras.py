"""Cameras: adding shows the exact upload settings once, editing, password rotation,
detection switches with consent, and removal with every recording."""

from __future__ import annotations

import re

import pytest

from core.catalog import atomic
from core.catalog.cameras import check_camera_login, get_camera
from core.catalog.detections import get_detection_switches
from core.catalog.login_crypto import LoginCrypto, camera_login_crypto, record_login_crypto
from core.clipstore import ClipStore
from tests.ingestd.test_certificates import admin_certificate

# Every owner check through the catalog: on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines


@pytest.fixture
def owner(make_user):
    return make_user("erin@example.com")


@pytest.fixture
def logged_in(auth, owner):
    auth.login_as(owner)
    return auth


def _shown_password(html: str) -> str:
    match = re.search(r'<code class="secret">([A-Za-z0-9]+)</code>', html)
    assert match, "no password shown"
    return match.group(1)


def test_adding_a_camera_shows_its_login_once_with_the_settings_per_protocol(
    client, logged_in, catalog, settings
):
    response = logged_in.post(
        "/cameras/add", {"name": "Driveway", "model": "IN-9408"}, form_page="/cameras/add"
    )
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    password = _shown_password(html)
    [camera] = catalog.query("SELECT * FROM cameras WHERE name = 'Driveway'")
    assert check_camera_login(catalog, camera["username"], password)
    ftp_port = settings.ftp.listen.rsplit(":", 1)[1]
    sftp_port = settings.sftp.listen.rsplit(":", 1)[1]
    for expected in (
        camera["username"],
        f"<code>{ftp_port}</code>",
        f"<code>{sftp_port}</code>",
        "1 (FTPS, explicit TLS)",
        "2 (sFTP)",
        "1 (a new folder every day)",
    ):
        assert expected in html
    # Later visits never show it again.
    assert password not in client.get(f"/cameras/{camera['id']}").get_data(as_text=True)


def test_an_hd_camera_is_not_offered_sftp(client, logged_in):
    html = logged_in.post(
        "/cameras/add", {"name": "Old", "model": "IN-5905"}, form_page="/cameras/add"
    ).get_data(as_text=True)
    assert 'id="setup-ftps"' in html and 'id="setup-sftp"' not in html


def test_rotating_the_password_makes_the_old_one_stop_working(
    logged_in, owner, make_camera, catalog
):
    camera = make_camera(owner)
    response = logged_in.post(
        f"/cameras/{camera['id']}/rotate", form_page=f"/cameras/{camera['id']}"
    )
    new_password = _shown_password(response.get_data(as_text=True))
    assert check_camera_login(catalog, camera["username"], new_password)
    assert check_camera_login(catalog, camera["username"], camera["password"]) is None


def test_editing_renames_and_changes_the_model(logged_in, owner, make_camera, catalog):
    camera = make_camera(owner)
    logged_in.post(
        f"/cameras/{camera['id']}/edit",
        {"name": "Back yard", "model": "IN-8403"},
        form_page=f"/cameras/{camera['id']}",
    )
    row = get_camera(catalog, camera["id"])
    assert (row["name"], row["model"]) == ("Back yard", "IN-8403")


def test_detection_switches_need_consent_and_are_saved(
    logged_in, owner, make_camera, catalog, settings, tmp_path
):
    # The web UI only checks that the object model's file is there; it never loads it.
    settings.detection.models_dir = tmp_path / "models"
    object_model = settings.detection.model_path(
        settings.detection.object_model, settings.storage.data_dir
    )
    object_model.parent.mkdir()
    object_model.write_bytes(b"onnx")
    camera = make_camera(owner)
    page = f"/cameras/{camera['id']}"
    refused = logged_in.post(f"{page}/detection", {"objects": "1"}, form_page=page)
    assert refused.status_code == 400
    assert not get_detection_switches(catalog, camera["id"]).any
    logged_in.post(
        f"{page}/detection", {"objects": "1", "rain": "1", "consent": "yes"}, form_page=page
    )
    switches = get_detection_switches(catalog, camera["id"])
    assert switches.objects and switches.rain and not switches.plates
    logged_in.post(f"{page}/detection", {}, form_page=page)  # all off needs no consent
    assert not get_detection_switches(catalog, camera["id"]).any


def test_switching_detection_on_without_its_models_is_refused_not_silently_empty(
    logged_in, owner, make_camera, catalog, settings, tmp_path
):
    settings.detection.models_dir = tmp_path / "no-models"
    camera = make_camera(owner)
    page = f"/cameras/{camera['id']}"
    refused = logged_in.post(
        f"{page}/detection", {"objects": "1", "consent": "yes"}, form_page=page
    )
    assert refused.status_code == 503
    assert "models are not installed" in refused.get_data(as_text=True)
    assert not get_detection_switches(catalog, camera["id"]).any
    # Rain needs no model file: it still works.
    logged_in.post(f"{page}/detection", {"rain": "1", "consent": "yes"}, form_page=page)
    assert get_detection_switches(catalog, camera["id"]).rain


def test_removing_a_camera_removes_its_recordings_and_files(
    client, logged_in, owner, make_camera, store_recording, catalog, settings
):
    camera = make_camera(owner)
    recording = store_recording(camera)
    clip = ClipStore(settings.storage).recording_file(recording["path"])
    page = f"/cameras/{camera['id']}"
    assert logged_in.post(f"{page}/delete", {}, form_page=page).status_code == 400
    assert logged_in.post(f"{page}/delete", {"confirm": "yes"}, form_page=page).status_code == 302
    assert not clip.exists()
    assert catalog.execute("SELECT count(*) FROM recordings").fetchone()[0] == 0
    assert client.get(page).status_code == 404


def _ftps_fields(html: str) -> dict[str, str]:
    """The FTPS settings the page gives, by CGI name."""
    section = html.split('id="setup-ftps"')[1].split("</details>")[0]
    pattern = r"<td><code>([^<]*)</code></td><td><code>(ft_\w+)</code>"
    return {cgi: value for value, cgi in re.findall(pattern, section)}


def test_with_an_admin_certificate_the_camera_verifies_against_a_name_it_is_valid_for(
    client, logged_in, owner, make_camera, settings, tmp_path
):
    # A Let's Encrypt certificate names the DNS name; behind NAT the page would otherwise give
    # the camera the masquerade address, which the certificate is not valid for.
    cert, key = admin_certificate(tmp_path, "cams.example.net")
    settings.ftp.tls_cert, settings.ftp.tls_key = cert, key
    settings.ftp.masquerade_address = "203.0.113.7"
    camera = make_camera(owner)
    html = client.get(f"/cameras/{camera['id']}").get_data(as_text=True)
    fields = _ftps_fields(html)
    assert fields["ft_server"] == "cams.example.net"
    assert fields["ft_insecure"] == "0 (verify)"
    assert "certificate is valid for cams.example.net, 127.0.0.1" in html
    assert "enter cams.example.net as the FTP server" in html
    # Plain FTP still goes to the NAT address.
    plain = html.split('id="setup-ftp"')[1].split("</details>")[0]
    assert "<code>203.0.113.7</code>" in plain


def test_with_the_generated_certificate_the_camera_is_told_not_to_verify(
    client, logged_in, owner, make_camera, settings
):
    settings.ftp.tls_cert = settings.ftp.tls_key = None
    camera = make_camera(owner)
    html = client.get(f"/cameras/{camera['id']}").get_data(as_text=True)
    fields = _ftps_fields(html)
    assert fields["ft_insecure"] == "1 (our certificate is self-signed)"
    assert "certificate is valid for" not in html


def test_the_camera_page_shows_what_its_last_login_used(
    client, logged_in, owner, make_camera, catalog
):
    camera = make_camera(owner)
    page = client.get(f"/cameras/{camera['id']}").get_data(as_text=True)
    assert "The camera has not logged in yet." in page
    # As ingestd notes it: an old camera on the legacy SSH algorithms, then one on FTPS.
    old_ssh = LoginCrypto(
        "sftp",
        ssh_kex="diffie-hellman-group14-sha1",
        ssh_cipher="aes128-cbc",
        ssh_mac="hmac-sha1",
        ssh_host_key_type="ssh-rsa",
    )
    assert record_login_crypto(catalog, camera["id"], old_ssh)
    section = _last_login(client.get(f"/cameras/{camera['id']}").get_data(as_text=True))
    for shown in ("SFTP", "diffie-hellman-group14-sha1", "aes128-cbc", "hmac-sha1", "ssh-rsa"):
        assert f"<code>{shown}</code>" in section
    assert 'id="old-firmware-crypto"' in section
    assert record_login_crypto(
        catalog, camera["id"], LoginCrypto("ftps", "TLSv1.3", "TLS_AES_256_GCM_SHA384")
    )
    section = _last_login(client.get(f"/cameras/{camera['id']}").get_data(as_text=True))
    assert "<code>TLSv1.3</code>" in section and "<code>TLS_AES_256_GCM_SHA384</code>" in section
    assert "ssh-rsa" not in section
    assert 'id="old-firmware-crypto"' not in section


def test_removing_a_camera_removes_what_its_logins_used(catalog, make_camera):
    camera = make_camera()
    assert record_login_crypto(catalog, camera["id"], LoginCrypto("ftp"))
    with atomic(catalog):
        catalog.execute("DELETE FROM cameras WHERE id = ?", [camera["id"]])
    assert camera_login_crypto(catalog, camera["id"]) is None
    # A login noted after the camera is gone is dropped, not an error.
    assert not record_login_crypto(catalog, camera["id"], LoginCrypto("ftp"))


def _last_login(html: str) -> str:
    return html.split('id="last-login"')[1].split("</section>")[0]
