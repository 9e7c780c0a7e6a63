"""Resuming an upload: only a file still in the jail can be continued; nothing is left behind.

A handed-over upload has left the jail, so REST + STOR or APPE of its remainder would store a
tail that is not a clip (or, before, a 0-byte file). Clients are told with a reply they
understand (lftp then sends the whole file again).
"""

from __future__ import annotations

import ftplib
import io
import shutil
import subprocess

import pytest

from tests.ingestd.clients import needs_tool
from tests.ingestd.conftest import jail_files, spooled

HALF = 500_000


def test_lftp_put_continue_after_a_handover_sends_the_whole_file_again(
    ingestd, make_camera, camera_clip, ingest_settings, tmp_path
):
    lftp = needs_tool("lftp")
    camera = make_camera()
    host, port = ingestd.ftp.address
    (tmp_path / "cut").mkdir()
    (tmp_path / "cut" / "A.mp4").write_bytes(camera_clip.read_bytes()[:HALF])
    (tmp_path / "whole").mkdir()
    shutil.copyfile(camera_clip, tmp_path / "whole" / "A.mp4")
    script = (
        f"set ftp:ssl-allow no; set net:max-retries 2;"
        f" open -u {camera['username']},{camera['password']} -p {port} {host};"
        f" put {tmp_path}/cut/A.mp4 -o A.mp4; put -c {tmp_path}/whole/A.mp4 -o A.mp4"
    )
    result = subprocess.run(
        [lftp, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    sizes = sorted(meta.size_bytes for meta, _ in spooled(ingest_settings))
    # The resume was refused; lftp sent the whole file: no tail-only upload.
    assert sizes == [HALF, camera_clip.stat().st_size]
    assert jail_files(ingest_settings) == []


def test_rest_and_stor_after_a_handover_is_refused_and_leaves_no_file(
    ftp_connect, make_camera, camera_clip, ingest_settings
):
    camera = make_camera()
    ftp = ftp_connect(camera)
    data = camera_clip.read_bytes()
    ftp.storbinary("STOR A.mp4", io.BytesIO(data[:HALF]))
    with pytest.raises(ftplib.error_perm, match="554 Resume not possible"):
        ftp.storbinary("STOR A.mp4", io.BytesIO(data[HALF:]), rest=HALF)
    assert jail_files(ingest_settings) == []
    assert [meta.size_bytes for meta, _ in spooled(ingest_settings)] == [HALF]
    # The refused REST does not stick to the next upload.
    ftp.storbinary("STOR B.mp4", io.BytesIO(data))
    assert sorted(meta.size_bytes for meta, _ in spooled(ingest_settings)) == [HALF, len(data)]


def test_size_then_appe_after_a_handover_is_refused_and_leaves_no_file(
    ftp_connect, make_camera, camera_clip, ingest_settings
):
    camera = make_camera()
    ftp = ftp_connect(camera)
    data = camera_clip.read_bytes()
    ftp.storbinary("STOR A.mp4", io.BytesIO(data[:HALF]))
    assert ftp.size("A.mp4") == HALF
    with pytest.raises(ftplib.error_perm, match="550 Resume not possible"):
        ftp.storbinary("APPE A.mp4", io.BytesIO(data[HALF:]))
    assert jail_files(ingest_settings) == []
    assert [meta.size_bytes for meta, _ in spooled(ingest_settings)] == [HALF]


def test_appe_of_a_new_file_is_an_upload(ftp_connect, make_camera, camera_clip, ingest_settings):
    # DESIGN.md §1: some firmware uploads with APPE.
    camera = make_camera()
    ftp = ftp_connect(camera)
    with camera_clip.open("rb") as clip:
        assert ftp.storbinary("APPE A.mp4", clip).startswith("226")
    [(_meta, clip)] = spooled(ingest_settings)
    assert clip.read_bytes() == camera_clip.read_bytes()


def test_an_upload_waiting_for_its_rename_can_be_resumed(
    ftp_connect, make_camera, camera_clip, ingest_settings
):
    camera = make_camera()
    ftp = ftp_connect(camera)
    data = camera_clip.read_bytes()
    ftp.storbinary("STOR A.mp4.part", io.BytesIO(data[:HALF]))
    assert ftp.size("A.mp4.part") == HALF
    ftp.storbinary("STOR A.mp4.part", io.BytesIO(data[HALF:]), rest=HALF)
    ftp.rename("A.mp4.part", "A.mp4")
    [(meta, clip)] = spooled(ingest_settings)
    assert meta.original_name == "A.mp4"
    assert clip.read_bytes() == data
    assert jail_files(ingest_settings) == []


def test_sftp_write_past_the_end_of_a_new_file_is_refused_and_leaves_no_file(
    sftp_connect, make_camera, camera_clip, ingest_settings
):
    camera = make_camera()
    sftp = sftp_connect(camera)
    data = camera_clip.read_bytes()
    with sftp.open("A.mp4", "wb") as remote:
        remote.write(data[:HALF])
    # A resume the way OpenSSH's reput does it: open without truncating, write at the old end.
    remote = sftp.open("A.mp4", "r+")
    remote.seek(HALF)
    with pytest.raises(OSError, match="Resume not possible"):
        remote.write(data[HALF:])
    remote.close()  # paramiko does not report what CLOSE answers
    assert jail_files(ingest_settings) == []
    assert [meta.size_bytes for meta, _ in spooled(ingest_settings)] == [HALF]
