"""The data disk fills up during an upload: the camera gets an error reply, the partial file is
gone, nothing half-written reaches the pipeline, and clips accepted before are all indexed."""

from __future__ import annotations

import ftplib
import io
import os
import subprocess

import pytest

from tests.conftest import wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")


@pytest.fixture
def small_disk(tmp_path):
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


@pytest.fixture
def settings_dict(settings_dict, small_disk):
    settings_dict["storage"]["data_dir"] = str(small_disk / "data")
    return settings_dict


def refused_reply(ftp: ftplib.FTP, command: str, data: bytes) -> str:
    """The server's error reply to an upload it aborts. It may cut the data connection first
    (the client then sees a reset while sending) and answer on the control connection."""
    try:
        ftp.storbinary(command, io.BytesIO(data))
    except ftplib.error_temp as error:
        return str(error)
    except (ConnectionResetError, BrokenPipeError):
        try:
            ftp.getresp()
        except ftplib.error_temp as error:
            return str(error)
    raise AssertionError("the upload that cannot fit was accepted")


def test_upload_that_fills_the_disk_is_refused_and_earlier_clips_are_kept(vault, clip_factory):
    vault.add_user("owner@example.com", "owner-password-1")
    camera = vault.add_camera("owner@example.com")
    small_clip = clip_factory(seconds=4, width=640, height=360, fps=10).read_bytes()
    host, port = vault.ftp_address
    with ftplib.FTP() as ftp:
        ftp.connect(host, port, timeout=30)
        ftp.login(camera["username"], camera["password"])
        ftp.storbinary("STOR A20261125_100000.mp4", io.BytesIO(small_clip))
        reply = refused_reply(ftp, "STOR A20261125_100100.mp4", os.urandom(8 * 1024 * 1024))
        assert reply[:3] in ("451", "452"), reply

    [recording] = wait_for(
        lambda: vault.cli_json("recordings", "list"),
        timeout=30,
        what="the clip before the disk filled is indexed",
    )
    assert recording["size_bytes"] == len(small_clip)
    data = vault.settings.storage.data_dir
    leftovers = [p.name for p in (data / "uploads").rglob("*") if p.is_file()]
    assert leftovers == []
    assert list((data / "spool" / "incoming").iterdir()) == []
    # Space is free again: the camera's next clip goes through.
    with ftplib.FTP() as ftp:
        ftp.connect(host, port, timeout=30)
        ftp.login(camera["username"], camera["password"])
        ftp.storbinary("STOR A20261125_100200.mp4", io.BytesIO(small_clip))
    wait_for(
        lambda: len(vault.cli_json("recordings", "list")) == 2,
        timeout=30,
        what="the next clip is indexed",
    )
