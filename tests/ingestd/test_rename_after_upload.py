"""Upload under a temporary name, then rename: the clip is handed over once, under the final name.

Driven by the real clients that do it: curl ``-Q "-RNFR ..."``, ``ncftpput -S``, paramiko and
OpenSSH's sftp (put, then rename).
"""

from __future__ import annotations

import ftplib
import logging
import shutil
import subprocess

import pytest

from core.timestamps import started_at_from_name
from tests.ingestd.clients import needs_tool, openssh_sftp, registered_key_file
from tests.ingestd.conftest import jail_files, spooled, wait_until

FINAL = "A_20261206_101500.mp4"


def _assert_handed_over_once_as_final(settings, camera_clip, final=FINAL, folder=""):
    uploads = spooled(settings)
    assert len(uploads) == 1, [meta.original_name for meta, _ in uploads]
    [(meta, clip)] = uploads
    assert meta.original_name == final
    assert meta.original_path == f"{folder}{final}"
    assert clip.read_bytes() == camera_clip.read_bytes()
    assert jail_files(settings) == []
    # The alarm time comes from the final name, not from the upload time.
    started = started_at_from_name(
        meta.original_name, settings.pipeline.timestamp_patterns, "UTC", fallback="none"
    )
    assert started.startswith("2026-12-06T10:15:00")


def test_curl_upload_then_rnfr_rnto_is_handed_over_under_the_final_name(
    ingestd, make_camera, camera_clip, ingest_settings
):
    curl = needs_tool("curl")
    camera = make_camera()
    host, port = ingestd.ftp.address
    result = subprocess.run(
        [
            curl, "--silent", "--show-error",
            "--user", f"{camera['username']}:{camera['password']}",
            "-T", str(camera_clip), f"ftp://{host}:{port}/upload.tmp",
            "-Q", "-RNFR upload.tmp", "-Q", f"-RNTO {FINAL}",
        ],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    _assert_handed_over_once_as_final(ingest_settings, camera_clip)


def test_ncftpput_with_a_temporary_suffix_is_handed_over_under_the_final_name(
    ingestd, make_camera, camera_clip, ingest_settings, tmp_path
):
    ncftpput = needs_tool("ncftpput")
    camera = make_camera()
    host, port = ingestd.ftp.address
    local = tmp_path / FINAL
    shutil.copyfile(camera_clip, local)
    result = subprocess.run(
        [
            ncftpput, "-u", camera["username"], "-p", camera["password"], "-P", str(port),
            "-S", ".tmp", "-m", host, "/instar/20261206", str(local),
        ],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    _assert_handed_over_once_as_final(ingest_settings, camera_clip, folder="instar/20261206/")


def test_paramiko_put_then_rename_is_handed_over_under_the_final_name(
    sftp_connect, make_camera, camera_clip, ingest_settings
):
    camera = make_camera()
    sftp = sftp_connect(camera)
    # put() checks the size afterwards: the file waits in the jail and answers.
    attributes = sftp.put(str(camera_clip), "upload.part")
    assert attributes.st_size == camera_clip.stat().st_size
    assert spooled(ingest_settings) == []
    sftp.rename("upload.part", FINAL)
    _assert_handed_over_once_as_final(ingest_settings, camera_clip)


def test_openssh_sftp_put_then_rename_is_handed_over_under_the_final_name(
    ingestd, make_camera, catalog, camera_clip, ingest_settings, tmp_path
):
    camera = make_camera()
    key_file = registered_key_file(catalog, camera, tmp_path)
    result = openssh_sftp(
        ingestd, camera, f"put {camera_clip} .{FINAL}\nrename .{FINAL} {FINAL}\n", tmp_path,
        "-i", str(key_file), "-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    _assert_handed_over_once_as_final(ingest_settings, camera_clip)


def test_a_temporary_upload_never_renamed_is_handed_over_under_its_own_name_after_the_timeout(
    ingest_settings, catalog, make_camera, camera_clip, request, caplog
):
    ingest_settings.ingest.rename_timeout_s = 1
    ftp_connect = request.getfixturevalue("ftp_connect")
    camera = make_camera()
    ftp = ftp_connect(camera)
    with caplog.at_level(logging.INFO, logger="ingestd.handover"):
        with camera_clip.open("rb") as clip:
            assert ftp.storbinary("STOR clip.mp4.filepart", clip).startswith("226")
        assert spooled(ingest_settings) == []
        assert wait_until(lambda: len(spooled(ingest_settings)) == 1, timeout=10)
    [(meta, clip)] = spooled(ingest_settings)
    assert meta.original_name == "clip.mp4.filepart"
    assert clip.read_bytes() == camera_clip.read_bytes()
    assert jail_files(ingest_settings) == []
    assert "was not renamed; handed over under its own name" in caplog.text


def test_temporary_rename_chain_and_final_name_upload(
    ftp_connect, make_camera, camera_clip, ingest_settings
):
    camera = make_camera()
    ftp = ftp_connect(camera)
    with camera_clip.open("rb") as clip:
        ftp.storbinary("STOR clip.part", clip)
    # Renamed to another temporary name: still waiting.
    ftp.rename("clip.part", "clip~")
    assert spooled(ingest_settings) == []
    assert ftp.size("clip~") == camera_clip.stat().st_size
    ftp.rename("clip~", FINAL)
    _assert_handed_over_once_as_final(ingest_settings, camera_clip)
    # The client may still ask for its size, as it does after a plain upload.
    assert ftp.size(FINAL) == camera_clip.stat().st_size


def test_temporary_names_setting_empty_hands_over_at_once(
    ingest_settings, catalog, make_camera, camera_clip, request
):
    ingest_settings.ingest.temporary_names = []
    ftp_connect = request.getfixturevalue("ftp_connect")
    camera = make_camera()
    ftp = ftp_connect(camera)
    with camera_clip.open("rb") as clip:
        ftp.storbinary("STOR clip.tmp", clip)
    [(meta, _clip)] = spooled(ingest_settings)
    assert meta.original_name == "clip.tmp"
    with pytest.raises(ftplib.error_perm):
        ftp.rename("clip.tmp", FINAL)
