"""Smaller things real clients ran into (issue 16 item 9, issue 15 item 13)."""

from __future__ import annotations

import ftplib
import logging
import stat
import subprocess
import threading

import pytest

from ingestd.filesystems import DIR_MODE
from ingestd.sftp.listener import quiet_negotiation_failures
from tests.ingestd.clients import needs_tool
from tests.ingestd.conftest import spooled, wait_until


def test_mkd_of_nested_folders_gives_every_level_the_camera_folder_mode(
    ftp_connect, make_camera, ingest_settings
):
    camera = make_camera()
    ftp = ftp_connect(camera)
    ftp.mkd("a/b/c")
    jail = ingest_settings.storage.uploads_dir / camera["username"]
    for folder in (jail / "a", jail / "a/b", jail / "a/b/c"):
        assert stat.S_IMODE(folder.stat().st_mode) == DIR_MODE, folder
    with pytest.raises(ftplib.error_perm, match="550"):
        ftp.mkd("a/b/c")


def test_dele_of_a_just_uploaded_file_says_it_was_handed_over(
    ftp_connect, make_camera, camera_clip, ingest_settings
):
    camera = make_camera()
    ftp = ftp_connect(camera)
    with camera_clip.open("rb") as clip:
        ftp.storbinary("STOR A.mp4", clip)
    with pytest.raises(ftplib.error_perm, match="550 Already received and handed over"):
        ftp.delete("A.mp4")
    with pytest.raises(ftplib.error_perm, match="550 No such file"):
        ftp.delete("never.mp4")
    assert len(spooled(ingest_settings)) == 1


def test_sftp_remove_of_a_just_uploaded_file_says_it_was_handed_over(
    sftp_connect, make_camera, camera_clip, ingest_settings
):
    camera = make_camera()
    sftp = sftp_connect(camera)
    sftp.put(str(camera_clip), "A.mp4")
    with pytest.raises(PermissionError, match="Already received and handed over"):
        sftp.remove("A.mp4")
    with pytest.raises(FileNotFoundError):
        sftp.remove("never.mp4")
    assert len(spooled(ingest_settings)) == 1


@pytest.mark.parametrize(
    "command", ["CWD a\0b", "MKD a\0b", "STOR a\0b.mp4", "DELE a\0b", "SIZE \0"]
)
def test_a_nul_byte_in_a_path_is_answered_501_and_the_session_goes_on(
    command, ftp_connect, make_camera, camera_clip, ingest_settings, caplog
):
    camera = make_camera()
    ftp = ftp_connect(camera)
    with caplog.at_level(logging.ERROR), pytest.raises(ftplib.error_perm, match="501 A NUL byte"):
        ftp.sendcmd(command)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    # The same connection still uploads.
    with camera_clip.open("rb") as clip:
        assert ftp.storbinary("STOR A.mp4", clip).startswith("226")
    assert len(spooled(ingest_settings)) == 1


def test_ssh_keyscan_leaves_one_quiet_line_per_probe_and_no_traceback(
    ingest_settings, catalog, request, caplog
):
    keyscan = needs_tool("ssh-keyscan")
    # paramiko leaves the handshake timer of a failed key exchange running until it expires.
    ingest_settings.sftp.login_timeout_s = 2
    ingestd = request.getfixturevalue("ingestd")
    host, port = ingestd.sftp.address
    ended = "ssh session ended by the client's side"
    with caplog.at_level(logging.DEBUG, logger="paramiko"):
        result = subprocess.run(
            [keyscan, "-p", str(port), "-t", "rsa,ecdsa,ed25519", host],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        # The keys we have are listed; asking for one we lack (ecdsa) ends that probe early.
        assert "ssh-ed25519" in result.stdout
        # The transport threads log after the client has gone.
        assert wait_until(lambda: ended in caplog.text, timeout=5), caplog.text
    assert all(r.levelno < logging.ERROR for r in caplog.records), caplog.text
    assert "Traceback" not in caplog.text
    assert wait_until(
        lambda: not any(isinstance(t, threading.Timer) for t in threading.enumerate()), 10
    )


def test_a_client_resetting_the_ssh_connection_is_one_info_line_not_an_error(caplog):
    # Under load ssh-keyscan resets the connection while paramiko writes to it; paramiko logs
    # that as an ERROR (seen in the keyscan test above on a busy machine).
    quiet_negotiation_failures()
    with caplog.at_level(logging.INFO, logger="paramiko.transport"):
        logging.getLogger("paramiko.transport").error(
            "Socket exception: Connection reset by peer (104)"
        )
    [record] = caplog.records
    assert (record.levelname, record.getMessage()) == (
        "INFO",
        "ssh connection reset by the client's side",
    )
