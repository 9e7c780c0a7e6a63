"""Clients that check their upload afterwards: rclone (MFMT/SETSTAT, then a listing), scp.

A failed check makes them send the file again (rclone: three times) or report an error
(scp: exit code 1) although the clip arrived.
"""

from __future__ import annotations

import ftplib
import shutil
import subprocess
import time
from datetime import UTC, datetime

import pytest

from tests.ingestd.clients import needs_tool, registered_key_file
from tests.ingestd.conftest import jail_files, spooled

FINAL = "A_20261206_101500.mp4"
# 2026-12-06 10:15:00 UTC
CLIP_TIME = datetime(2026, 12, 6, 10, 15, tzinfo=UTC).timestamp()


def _rclone(remote: str, source, target: str) -> subprocess.CompletedProcess:
    rclone = needs_tool("rclone")
    return subprocess.run(
        [
            rclone, "copy", "-vv", "--retries", "3", "--low-level-retries", "1",
            "--config", "/dev/null", str(source), f"{remote}:{target}",
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def _obscured(password: str) -> str:
    rclone = needs_tool("rclone")
    return subprocess.run(
        [rclone, "obscure", password], capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.mark.parametrize("protocol", ["ftp", "sftp"])
def test_rclone_copy_uploads_each_clip_once_and_succeeds(
    protocol, ingestd, make_camera, camera_clip, ingest_settings, tmp_path
):
    camera = make_camera()
    server = ingestd.ftp if protocol == "ftp" else ingestd.sftp
    host, port = server.address
    source = tmp_path / "clips"
    source.mkdir()
    shutil.copyfile(camera_clip, source / FINAL)
    remote = (
        f":{protocol},host={host},port={port},user={camera['username']},"
        f"pass={_obscured(camera['password'])}"
    )
    result = _rclone(remote, source, "instar/20261206")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Failed to copy" not in result.stderr
    uploads = spooled(ingest_settings)
    assert [meta.original_path for meta, _ in uploads] == [f"instar/20261206/{FINAL}"]
    assert jail_files(ingest_settings) == []


def test_mfmt_sets_the_time_a_handed_over_upload_shows(
    ftp_connect, make_camera, camera_clip, ingest_settings
):
    camera = make_camera()
    ftp = ftp_connect(camera)
    assert "MFMT" in ftp.sendcmd("FEAT")
    with camera_clip.open("rb") as clip:
        ftp.storbinary(f"STOR {FINAL}", clip)
    assert ftp.sendcmd(f"MFMT 20261206101500 {FINAL}").startswith("213 Modify=20261206101500")
    assert ftp.sendcmd(f"MDTM {FINAL}") == "213 20261206101500"
    [(name, facts)] = list(ftp.mlsd(".", facts=["type", "size", "modify"]))
    assert name == FINAL
    assert facts == {
        "type": "file",
        "size": str(camera_clip.stat().st_size),
        "modify": "20261206101500",
    }
    # Still only one upload, and nothing else may have its time changed.
    assert len(spooled(ingest_settings)) == 1
    with pytest.raises(ftplib.error_perm, match="550"):
        ftp.sendcmd("MFMT 20261206101500 other.mp4")
    with pytest.raises(ftplib.error_perm, match="501"):
        ftp.sendcmd(f"MFMT yesterday {FINAL}")


def test_sftp_stat_and_setstat_of_a_handed_over_upload(
    sftp_connect, make_camera, camera_clip, ingest_settings
):
    camera = make_camera()
    sftp = sftp_connect(camera)
    before = time.time() - 1
    sftp.put(str(camera_clip), FINAL)
    attributes = sftp.stat(FINAL)
    # Not 1970: the time of the upload.
    assert attributes.st_mtime is not None and attributes.st_mtime >= int(before)
    sftp.utime(FINAL, (CLIP_TIME, CLIP_TIME))
    assert sftp.stat(FINAL).st_mtime == int(CLIP_TIME)
    assert [entry.filename for entry in sftp.listdir_attr(".")] == [FINAL]
    assert len(spooled(ingest_settings)) == 1


def _scp(ingestd, key_file, *options: str, source, target: str) -> subprocess.CompletedProcess:
    scp = needs_tool("scp")
    _host, port = ingestd.sftp.address
    return subprocess.run(
        [
            scp, *options, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", "-i", str(key_file), "-o", "IdentitiesOnly=yes",
            "-o", "PasswordAuthentication=no", "-P", str(port), str(source), f"{target}",
        ],
        capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip


def test_scp_in_sftp_mode_exits_0_after_an_upload(
    ingestd, make_camera, catalog, camera_clip, ingest_settings, tmp_path
):
    camera = make_camera()
    key_file = registered_key_file(catalog, camera, tmp_path)
    host, _port = ingestd.sftp.address
    result = _scp(
        ingestd, key_file, source=camera_clip, target=f"{camera['username']}@{host}:{FINAL}"
    )
    assert result.returncode == 0, result.stderr
    [(meta, clip)] = spooled(ingest_settings)
    assert meta.original_name == FINAL
    assert clip.read_bytes() == camera_clip.read_bytes()


def test_legacy_scp_is_refused_with_a_message_and_leaves_nothing(
    ingestd, make_camera, catalog, camera_clip, ingest_settings, tmp_path
):
    camera = make_camera()
    key_file = registered_key_file(catalog, camera, tmp_path)
    host, _port = ingestd.sftp.address
    result = _scp(
        ingestd, key_file, "-O", source=camera_clip, target=f"{camera['username']}@{host}:{FINAL}"
    )
    assert result.returncode == 1
    assert "SFTP only" in result.stderr and "scp without -O" in result.stderr
    assert spooled(ingest_settings) == []
    assert jail_files(ingest_settings) == []
