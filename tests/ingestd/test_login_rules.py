"""Who may log in, on FTP and SFTP alike: passwords, camera and owner state, the brute-force ban."""

from __future__ import annotations

import ftplib
import io
import logging
import socket

import paramiko
import pytest

from core.catalog import atomic
from tests.ingestd.clients import ftp_login_fails, ftp_upload, sftp_upload
from tests.ingestd.conftest import spooled


def test_wrong_password_is_refused(ftp_connect, sftp_connect, make_camera):
    camera = make_camera()
    ftp = ftp_connect()
    with pytest.raises(ftplib.error_perm, match="530 Login incorrect"):
        ftp.login(camera["username"], "wrong-password")
    with pytest.raises(paramiko.AuthenticationException):
        sftp_connect(camera, password="wrong-password")


def test_unknown_user_is_refused_like_a_wrong_password(ftp_connect):
    ftp = ftp_connect()
    with pytest.raises(ftplib.error_perm, match="530 Login incorrect"):
        ftp.login("camnobody", "whatever")


def _set_camera(catalog, camera_id: int, **values) -> None:
    with atomic(catalog):
        catalog["cameras"].update(camera_id, values)


def _set_user(catalog, user_id: int, **values) -> None:
    with atomic(catalog):
        catalog["users"].update(user_id, values)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("disabled", "This camera is disabled"),
        ("suspended", "Processing suspended for fair-use reasons, see the web UI."),
        ("paused", "The owner's account is paused"),
    ],
)
def test_refused_camera_states_say_why(
    change, message, catalog, make_camera, ftp_connect, sftp_connect, ingest_settings
):
    camera = make_camera()
    if change == "disabled":
        _set_camera(catalog, camera["id"], enabled=0)
    elif change == "suspended":
        _set_camera(catalog, camera["id"], fairuse_state="suspended")
    else:
        _set_user(catalog, camera["owner"]["id"], state="paused")

    ftp = ftp_connect()
    with pytest.raises(ftplib.error_perm) as refused:
        ftp.login(camera["username"], camera["password"])
    assert str(refused.value).startswith("530")
    assert message in str(refused.value)

    # SSH cannot say why a login failed, so the session refuses every operation with the reason.
    sftp = sftp_connect(camera)
    with pytest.raises(PermissionError, match=message.split(";")[0][:30]):
        sftp.putfo(io.BytesIO(b"clip"), "clip.mp4", confirm=False)
    with pytest.raises(PermissionError):
        sftp.listdir("/")
    assert spooled(ingest_settings) == []


@pytest.fixture
def strict_bans(ingest_settings):
    """Three failures ban an account from an address; six to any accounts ban the address."""
    ingest_settings.ingest.ban_after_failures = 3
    ingest_settings.ingest.ban_address_after_failures = 6
    return ingest_settings


def test_guesses_at_one_camera_do_not_lock_out_the_others_on_the_address(
    strict_bans, catalog, make_camera, caplog
):
    from ingestd.daemon import IngestDaemon

    caplog.set_level(logging.INFO)
    guessed, neighbour = make_camera(), make_camera()
    daemon = IngestDaemon(strict_bans)
    daemon.start()
    try:
        for _ in range(2):
            ftp_login_fails(daemon.ftp.address, guessed["username"], "guess")
        transport = paramiko.Transport(daemon.sftp.address)
        with pytest.raises(paramiko.AuthenticationException):
            transport.connect(username=guessed["username"], password="guess")
        transport.close()

        # The guessed account is refused from this address now, even with its right password,
        # on FTP and on SFTP ...
        ftp_login_fails(
            daemon.ftp.address, guessed["username"], guessed["password"], "530 Too many failed"
        )
        transport = paramiko.Transport(daemon.sftp.address)
        with pytest.raises(paramiko.AuthenticationException):
            transport.connect(username=guessed["username"], password=guessed["password"])
        transport.close()
        # ... while the other camera behind the same address uploads as before.
        ftp_upload(daemon.ftp.address, neighbour, "A_ftp.mp4")
        sftp_upload(daemon.sftp.address, neighbour, "A_sftp.mp4")
    finally:
        daemon.stop()

    assert sorted(meta.original_name for meta, _ in spooled(strict_bans)) == [
        "A_ftp.mp4",
        "A_sftp.mp4",
    ]
    assert all(meta.camera_id == neighbour["id"] for meta, _ in spooled(strict_bans))
    ban_lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("login ban")]
    assert ban_lines == [
        "login ban: one account from 127.0.0.0/24 refused for 900 s after 3 failed logins"
    ]
    for record in caplog.records:
        text = record.getMessage()
        if "listening on" not in text:
            assert "127.0.0.1" not in text, text
        assert guessed["username"] not in text and guessed["password"] not in text


def test_password_spraying_closes_the_address_but_known_cameras_get_in(
    strict_bans, catalog, make_camera, caplog
):
    from ingestd.daemon import IngestDaemon

    caplog.set_level(logging.INFO)
    known, newcomer = make_camera(), make_camera()
    daemon = IngestDaemon(strict_bans)
    daemon.start()
    try:
        ftp_upload(daemon.ftp.address, known, "A_before.mp4")  # logged in from here before
        # A stranger on the same address tries six accounts, once each.
        for number in range(6):
            ftp_login_fails(daemon.ftp.address, f"camguess{number}", "guess")

        # A camera that never logged in from this address is refused, right password or not ...
        ftp_login_fails(
            daemon.ftp.address, newcomer["username"], newcomer["password"], "530 Too many failed"
        )
        transport = paramiko.Transport(daemon.sftp.address)
        with pytest.raises(paramiko.AuthenticationException):
            transport.connect(username=newcomer["username"], password=newcomer["password"])
        transport.close()
        # ... the known camera still gets in on both protocols ...
        ftp_upload(daemon.ftp.address, known, "A_ftp.mp4")
        sftp_upload(daemon.sftp.address, known, "A_sftp.mp4")
        # ... but not with a wrong password: that counts for its own account as ever.
        ftp_login_fails(daemon.ftp.address, known["username"], "guess", "530 Login incorrect")
    finally:
        daemon.stop()

    assert sorted(meta.original_name for meta, _ in spooled(strict_bans)) == [
        "A_before.mp4",
        "A_ftp.mp4",
        "A_sftp.mp4",
    ]
    ban_lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("login ban")]
    assert ban_lines == [
        "login ban: 127.0.0.0/24 refused for 900 s after 6 failed logins to any account"
        " (cameras known to log in from there still may)"
    ]


def test_an_address_no_camera_logged_in_from_is_turned_away_at_connect(
    strict_bans, catalog, make_camera
):
    from ingestd.daemon import IngestDaemon

    camera = make_camera()
    daemon = IngestDaemon(strict_bans)
    daemon.start()
    try:
        for number in range(6):
            ftp_login_fails(daemon.ftp.address, f"camguess{number}", "guess")
        ftp = ftplib.FTP()
        with pytest.raises(ftplib.error_temp, match="421 Too many failed logins"):
            ftp.connect(*daemon.ftp.address, timeout=10)
            ftp.login(camera["username"], camera["password"])
        ftp.close()
        # On SFTP the connection is turned away before SSH starts.
        with socket.create_connection(daemon.sftp.address, timeout=10) as sock:
            greeting = sock.recv(200)
        assert b"Too many failed logins" in greeting
        assert not greeting.startswith(b"SSH-")
    finally:
        daemon.stop()


def test_ban_counts_failures_across_protocols(strict_bans, catalog, make_camera):
    from ingestd.daemon import IngestDaemon

    strict_bans.ingest.ban_after_failures = 2
    camera = make_camera()
    daemon = IngestDaemon(strict_bans)
    daemon.start()
    try:
        transport = paramiko.Transport(daemon.sftp.address)
        with pytest.raises(paramiko.AuthenticationException):
            transport.connect(username=camera["username"], password="guess")
        transport.close()
        ftp_login_fails(daemon.ftp.address, camera["username"], "guess", "530 Login incorrect")
        ftp_login_fails(
            daemon.ftp.address, camera["username"], camera["password"], "530 Too many failed"
        )
    finally:
        daemon.stop()


def test_login_ban_expires_and_forgets_old_failures():
    from ingestd.login_ban import LoginBan

    now = [1000.0]
    ban = LoginBan(3, 60, 300, address_failures=10, known_for_s=3600, clock=lambda: now[0])
    ban.record_failure("192.0.2.1", "camera")
    now[0] += 61  # outside the window: forgotten
    ban.record_failure("192.0.2.1", "camera")
    ban.record_failure("192.0.2.1", "camera")
    assert not ban.refuses("192.0.2.1", "camera")
    ban.record_failure("192.0.2.1", "camera")
    assert ban.refuses("192.0.2.1", "camera")
    assert not ban.refuses("192.0.2.1", "other")
    assert not ban.refuses("192.0.2.2", "camera")
    now[0] += 301
    assert not ban.refuses("192.0.2.1", "camera")


def test_a_known_login_expires():
    from ingestd.login_ban import LoginBan

    now = [1000.0]
    ban = LoginBan(3, 600, 3600, address_failures=2, known_for_s=60, clock=lambda: now[0])
    ban.record_success("192.0.2.1", "camera")
    ban.record_failure("192.0.2.1", "guess1")
    ban.record_failure("192.0.2.1", "guess2")
    assert not ban.refuses("192.0.2.1", "camera")
    now[0] += 61
    assert ban.refuses("192.0.2.1", "camera")
    assert ban.address_is_closed("192.0.2.1")
