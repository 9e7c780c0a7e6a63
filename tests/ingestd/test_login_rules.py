"""Who may log in, on FTP and SFTP alike: passwords, camera and owner state, the brute-force ban."""

from __future__ import annotations

import ftplib
import io
import logging
import socket

import paramiko
import pytest

from core.catalog import atomic
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


def test_repeated_failures_ban_the_address_on_both_protocols(
    ingest_settings, catalog, make_camera, caplog
):
    from ingestd.daemon import IngestDaemon

    caplog.set_level(logging.INFO)
    ingest_settings.ingest.ban_after_failures = 3
    camera = make_camera()
    daemon = IngestDaemon(ingest_settings)
    daemon.start()
    try:
        for _ in range(3):
            ftp = ftplib.FTP()
            ftp.connect(*daemon.ftp.address, timeout=10)
            with pytest.raises(ftplib.error_perm, match="530"):
                ftp.login(camera["username"], "guess")
            ftp.close()

        # Banned now: even the right password is refused, on FTP ...
        ftp = ftplib.FTP()
        with pytest.raises(ftplib.error_temp, match="421 Too many failed logins"):
            ftp.connect(*daemon.ftp.address, timeout=10)
            ftp.login(camera["username"], camera["password"])
        ftp.close()
        # ... and on SFTP, where the connection is turned away before SSH starts.
        with socket.create_connection(daemon.sftp.address, timeout=10) as sock:
            greeting = sock.recv(200)
        assert b"Too many failed logins" in greeting
        assert not greeting.startswith(b"SSH-")
    finally:
        daemon.stop()

    ban_lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("login ban")]
    assert len(ban_lines) == 1
    assert "127.0.0.0/24" in ban_lines[0]
    for record in caplog.records:
        text = record.getMessage()
        if "listening on" not in text:
            assert "127.0.0.1" not in text, text
        assert camera["password"] not in text


def test_ban_counts_failures_across_protocols(ingest_settings, catalog, make_camera):
    from ingestd.daemon import IngestDaemon

    ingest_settings.ingest.ban_after_failures = 2
    camera = make_camera()
    daemon = IngestDaemon(ingest_settings)
    daemon.start()
    try:
        transport = paramiko.Transport(daemon.sftp.address)
        with pytest.raises(paramiko.AuthenticationException):
            transport.connect(username=camera["username"], password="guess")
        transport.close()
        ftp = ftplib.FTP()
        ftp.connect(*daemon.ftp.address, timeout=10)
        with pytest.raises(ftplib.error_perm, match="530"):
            ftp.login(camera["username"], "guess")
        ftp.close()
        ftp = ftplib.FTP()
        with pytest.raises(ftplib.error_temp, match="421"):
            ftp.connect(*daemon.ftp.address, timeout=10)
        ftp.close()
    finally:
        daemon.stop()


def test_login_ban_expires_and_forgets_old_failures():
    from ingestd.credentials import LoginBan

    now = [1000.0]
    ban = LoginBan(failures=3, window_s=60, duration_s=300, clock=lambda: now[0])
    ban.record_failure("192.0.2.1")
    now[0] += 61  # outside the window: forgotten
    ban.record_failure("192.0.2.1")
    ban.record_failure("192.0.2.1")
    assert not ban.is_banned("192.0.2.1")
    assert ban.record_failure("192.0.2.1") is True
    assert ban.is_banned("192.0.2.1")
    assert not ban.is_banned("192.0.2.2")
    now[0] += 301
    assert not ban.is_banned("192.0.2.1")
