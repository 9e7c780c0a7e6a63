"""ingestd on a PostgreSQL catalog that goes away: new clients are refused at once with a clear
answer (FTP 421, an SFTP line before the disconnect), a session already logged in keeps
uploading, and new logins and uploads work again when the catalog is back.

The catalog is a PostgreSQL server of this module alone, stopped and started by its test (the
session's server serves every other test)."""

from __future__ import annotations

import ftplib
import logging
import socket
import time

import pytest

from tests.ingestd.conftest import spooled, wait_until

pytestmark = pytest.mark.postgres_of_its_own
on_postgresql = pytest.mark.parametrize("catalog_engine", ["postgresql"], indirect=True)

UNAVAILABLE = "Service not available, try again later."


def _greeted(address: tuple[str, int], camera: dict | None = None) -> ftplib.FTP:
    """An FTP client through the greeting (and the login, given a camera); a refusal raises."""
    client = ftplib.FTP()
    try:
        client.connect(*address, timeout=10)
        if camera is not None:
            client.login(camera["username"], camera["password"])
    except BaseException:
        client.close()
        raise
    return client


@on_postgresql
def test_a_stopped_catalog_refuses_new_clients_at_once_and_uploads_resume_when_it_is_back(
    own_postgres, ingestd, ftp_connect, make_camera, camera_clip, ingest_settings, caplog
):
    camera = make_camera()
    session = ftp_connect(camera)
    with camera_clip.open("rb") as clip:
        assert session.storbinary("STOR A240501_120000_120018.mp4", clip).startswith("226")

    own_postgres.halt()
    try:
        with caplog.at_level(logging.INFO):
            started = time.monotonic()
            with pytest.raises(ftplib.error_temp, match=f"421 {UNAVAILABLE}"):
                _greeted(ingestd.ftp.address)
            with pytest.raises(ftplib.error_temp, match=f"421 {UNAVAILABLE}"):
                _greeted(ingestd.ftp.address)
            with socket.create_connection(ingestd.sftp.address, timeout=10) as sock:
                assert sock.recv(100) == f"{UNAVAILABLE}\r\n".encode()
            refused_in_s = time.monotonic() - started
            # The session that logged in before keeps uploading: nothing it sends needs the
            # catalog until the pipeline files it.
            with camera_clip.open("rb") as clip:
                reply = session.storbinary("STOR A240501_120100_120118.mp4", clip)
            assert reply.startswith("226")
    finally:
        own_postgres.run()
    assert refused_in_s < 3

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("catalog cannot be asked: " in message for message in warnings)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "ftp refused: the connection count cannot be asked" in caplog.text

    def uploads_again() -> bool:
        try:
            client = _greeted(ingestd.ftp.address, camera)
        except (ftplib.error_temp, ftplib.error_perm):
            return False
        with client, camera_clip.open("rb") as clip:
            return client.storbinary("STOR A240501_120200_120218.mp4", clip).startswith("226")

    assert wait_until(uploads_again, timeout=15)
    session.quit()
    assert wait_until(lambda: len(spooled(ingest_settings)) == 3)


@on_postgresql
def test_the_first_clients_after_a_catalog_restart_are_served_not_refused(
    own_postgres, ingestd, ftp_connect, sftp_connect, make_camera, camera_clip, caplog
):
    camera = make_camera()
    # Every connection ingestd keeps is used once: the ban check, the connection count, the
    # login, the handover check.
    with camera_clip.open("rb") as clip:
        assert ftp_connect(camera).storbinary("STOR A240501_120000_120018.mp4", clip)[:3] == "226"
    sftp_connect(camera).close()

    own_postgres.restart()  # every connection ingestd holds is closed by the server

    with caplog.at_level(logging.INFO):
        session = ftp_connect(camera)  # at once: no 421/530 for the first client
        with camera_clip.open("rb") as clip:
            assert session.storbinary("STOR A240501_120100_120118.mp4", clip)[:3] == "226"
        sftp = sftp_connect(camera)
        with camera_clip.open("rb") as clip:
            sftp.putfo(clip, "A240501_120200_120218.mp4")
        sftp.close()
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refused == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
