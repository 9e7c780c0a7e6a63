"""A corpus of nasty file names over FTP and SFTP: traversal, very long, control characters,
unicode. Each upload is stored inside the camera's jail or refused with a clear reply; nothing
escapes, the servers keep serving, and valid clips with odd names are indexed."""

from __future__ import annotations

import ftplib
import io
import os
from pathlib import Path

import paramiko

from tests.conftest import wait_for

NASTY_NAMES = [
    "../escape.mp4",
    "../../../../tmp/escape.mp4",
    "/etc/escape.mp4",
    "..",
    ".",
    "a/../../escape.mp4",
    "x" * 300 + ".mp4",
    "deep/" * 40 + "clip.mp4",
    "tab\there.mp4",
    "bell\x07and\x1b[31mansi.mp4",
    "del\x7f.mp4",
    "ünïcödé-😀-clip.mp4",
    "\u202egnp.mp4",  # right-to-left override
    "CON.mp4",
    " leading-and-trailing .mp4 ",
    "semi;colon|pipe&amp$(cmd).mp4",
    "A20261125_170000.mp4",
]
VALID_UNICODE = "Ü-kamera-😀-A20261125_171500.mp4"


def ftp_try(vault, camera, name: str, data: bytes) -> str:
    host, port = vault.ftp_address
    with ftplib.FTP() as ftp:
        ftp.connect(host, port, timeout=30)
        ftp.encoding = "utf-8"
        ftp.login(camera["username"], camera["password"])
        try:
            return ftp.storbinary(f"STOR {name}", io.BytesIO(data))
        except ftplib.Error as error:
            reply = str(error)
            assert reply[:1] in ("4", "5") and len(reply) > 4, reply
            return reply


def sftp_try(vault, camera, name: str, data: bytes) -> str:
    host, port = vault.sftp_address
    transport = paramiko.Transport((host, port))
    try:
        transport.connect(username=camera["username"], password=camera["password"])
        sftp = paramiko.SFTPClient.from_transport(transport)
        try:
            sftp.putfo(io.BytesIO(data), name)
            return "stored"
        except OSError as error:
            return f"refused: {error}"
        finally:
            sftp.close()
    finally:
        transport.close()


def files_outside(root: Path, allowed: list[Path]) -> list[Path]:
    # os.walk, not rglob: ingestd may remove an emptied upload folder while it is listed.
    found = []
    for top, _, names in os.walk(root):
        for path in (Path(top) / name for name in names):
            if path.is_file() and not any(path.is_relative_to(a) for a in allowed):
                found.append(path)
    return found


def test_nasty_names_never_escape_the_jail_and_odd_valid_names_are_indexed(
    vault, camera_clip, tmp_path
):
    vault.add_user("names@example.com", "names-password-1")
    camera = vault.add_camera("names@example.com", model="IN-9408")
    small = b"\x00\x00\x00\x18ftypisom" + b"z" * 64
    replies = {}
    for name in NASTY_NAMES:
        replies[("ftp", name)] = ftp_try(vault, camera, name, small)
        replies[("sftp", name)] = sftp_try(vault, camera, name, small)
    assert ftp_try(vault, camera, VALID_UNICODE, camera_clip.read_bytes()).startswith("226")
    assert sftp_try(vault, camera, "sftp-" + VALID_UNICODE, camera_clip.read_bytes()) == "stored"

    recordings = wait_for(
        lambda: (r := vault.cli_json("recordings", "list")) and len(r) >= 2 and r,
        timeout=60,
        what="both odd-but-valid clips indexed",
    )
    assert len(recordings) == 2
    data_dir = vault.settings.storage.data_dir
    # Nothing was written anywhere but the data folder and the test's own files.
    assert files_outside(tmp_path, [data_dir, vault.log, vault.config]) == []
    assert not Path("/tmp/escape.mp4").exists() and not Path("/etc/escape.mp4").exists()
    # Both servers still answer after the corpus.
    assert ftp_try(vault, camera, "after.mp4", small).startswith("226")
