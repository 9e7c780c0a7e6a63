"""End to end: a camera uploads over FTP, the owner plays the clip in the browser's video URL."""

from __future__ import annotations

import contextlib
import ftplib
import io
import socket
import struct

from tests.conftest import wait_for

OWNER = ("owner@example.com", "owner-password-1")
STRANGER = ("stranger@example.com", "stranger-password-1")


def ftp_upload(vault, camera, folder: list[str], name: str, data: bytes) -> str:
    """STOR the file; returns the server's final reply (ftplib raises unless it is 2xx)."""
    host, port = vault.ftp_address
    with ftplib.FTP() as ftp:
        ftp.connect(host, port, timeout=30)
        ftp.login(camera["username"], camera["password"])
        for part in folder:
            with contextlib.suppress(ftplib.error_perm):  # the folder exists already
                ftp.mkd(part)
            ftp.cwd(part)
        return ftp.storbinary(f"STOR {name}", io.BytesIO(data))


def test_clip_uploaded_over_ftp_is_listed_shown_and_played_only_for_its_owner(vault, camera_clip):
    vault.add_user(*OWNER)
    vault.add_user(*STRANGER)
    camera = vault.add_camera(OWNER[0])
    clip = camera_clip.read_bytes()

    ftp_upload(vault, camera, ["instar", "20261125"], "A20261125_130501.mp4", clip)

    recordings = wait_for(
        lambda: vault.cli_json("recordings", "list", "--camera", str(camera["id"])),
        timeout=30,
        what="recording indexed",
    )
    [recording] = recordings
    assert recording["camera_id"] == camera["id"]
    assert recording["started_at"].startswith("2026-11-25T13:05:01")
    assert abs(recording["duration_s"] - 18.0) < 0.2

    owner = vault.web_login(*OWNER)
    page = owner.get(f"{vault.web_url}/recordings", timeout=10)
    assert page.status_code == 200
    assert f"/recordings/{recording['id']}" in page.text
    detail = owner.get(f"{vault.web_url}/recordings/{recording['id']}", timeout=10)
    assert "<video" in detail.text
    video_url = f"{vault.web_url}/recordings/{recording['id']}/video"
    full = owner.get(video_url, timeout=10)
    assert full.status_code == 200
    assert full.content == clip
    partial = owner.get(video_url, headers={"Range": "bytes=100-1099"}, timeout=10)
    assert partial.status_code == 206
    assert partial.content == clip[100:1100]
    assert partial.headers["Content-Range"] == f"bytes 100-1099/{len(clip)}"

    stranger = vault.web_login(*STRANGER)
    for suffix in ("", "/video", "/poster", "/download"):
        assert (
            stranger.get(
                f"{vault.web_url}/recordings/{recording['id']}{suffix}", timeout=10
            ).status_code
            == 404
        )
    assert (
        f"/recordings/{recording['id']}"
        not in stranger.get(f"{vault.web_url}/recordings", timeout=10).text
    )


def test_text_truncated_and_aborted_uploads_never_become_recordings(vault, camera_clip):
    vault.add_user(*OWNER)
    camera = vault.add_camera(OWNER[0])
    clip = camera_clip.read_bytes()

    ftp_upload(vault, camera, ["instar"], "A20261125_140000.mp4", b"not a video\n" * 100)
    ftp_upload(vault, camera, ["instar"], "A20261125_140100.mp4", clip[: len(clip) // 2])
    # Aborted: the connection breaks half-way through (RST, as when a camera loses power).
    host, port = vault.ftp_address
    ftp = ftplib.FTP()
    ftp.connect(host, port, timeout=30)
    ftp.login(camera["username"], camera["password"])
    data_conn = ftp.transfercmd("STOR A20261125_140200.mp4")
    data_conn.sendall(clip[: len(clip) // 3])
    linger_reset = struct.pack("ii", 1, 0)
    data_conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger_reset)
    data_conn.close()
    ftp.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger_reset)
    ftp.sock.close()

    rejections = wait_for(
        lambda: (r := vault.cli_json("rejections", "list")) and len(r) >= 2 and r,
        timeout=30,
        what="two rejections",
    )
    reasons = {row["reason"] for row in rejections}
    assert reasons == {"not_video", "truncated"}
    # A good clip afterwards still works, and nothing else was indexed.
    ftp_upload(vault, camera, ["instar"], "A20261125_140300.mp4", clip)
    [recording] = wait_for(
        lambda: vault.cli_json("recordings", "list"), timeout=30, what="good clip indexed"
    )
    assert recording["started_at"].startswith("2026-11-25T14:03:00")
    log = vault.log.read_text()
    assert OWNER[0] not in log
