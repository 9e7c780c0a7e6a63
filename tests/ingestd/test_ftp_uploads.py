"""FTP uploads the way cameras send them, with ftplib over loopback into a real spool."""

from __future__ import annotations

import contextlib
import ftplib
import io
import logging
import socket
import time
from datetime import datetime

import pytest

from tests.ingestd.conftest import jail_files, spooled, wait_until


def test_upload_into_per_day_folder_reaches_spool_once_with_metadata(
    ftp_connect, make_camera, camera_clip, ingest_settings
):
    camera = make_camera()
    ftp = ftp_connect(camera)
    ftp.mkd("instar/20240501/001")
    ftp.cwd("instar/20240501/001")
    assert ftp.pwd() == "/instar/20240501/001"
    before = datetime.now().astimezone()
    with camera_clip.open("rb") as clip:
        reply = ftp.storbinary("STOR A240501_120000_120018.mp4", clip)
    assert reply.startswith("226")

    # 226 is sent after the handover, so the spool holds the clip already.
    uploads = spooled(ingest_settings)
    assert len(uploads) == 1
    meta, clip = uploads[0]
    assert clip.read_bytes() == camera_clip.read_bytes()
    assert meta.camera_id == camera["id"]
    assert meta.username == camera["username"]
    assert meta.protocol == "ftp"
    assert meta.remote_addr == "127.0.0.0/24"
    assert meta.original_name == "A240501_120000_120018.mp4"
    assert meta.original_path == "instar/20240501/001/A240501_120000_120018.mp4"
    assert meta.size_bytes == camera_clip.stat().st_size
    assert datetime.fromisoformat(meta.started_at) >= before.replace(microsecond=0)
    assert meta.started_at <= meta.completed_at
    assert jail_files(ingest_settings) == []
    # A client may check its upload's size although it has left the jail already.
    assert ftp.size("A240501_120000_120018.mp4") == camera_clip.stat().st_size


def test_one_folder_per_day_created_step_by_step_like_a_camera(
    ftp_connect, make_camera, camera_clip, ingest_settings
):
    camera = make_camera()
    ftp = ftp_connect(camera)
    for day in ("20240501", "20240502"):
        ftp.cwd("/")
        try:
            ftp.cwd(day)
        except ftplib.error_perm:
            ftp.mkd(day)
            ftp.cwd(day)
        with camera_clip.open("rb") as clip:
            ftp.storbinary(f"STOR A{day}_0800.mp4", clip)
    paths = sorted(meta.original_path for meta, _ in spooled(ingest_settings))
    assert paths == ["20240501/A20240501_0800.mp4", "20240502/A20240502_0800.mp4"]


@pytest.mark.parametrize("mode", ["PASV", "EPSV", "PORT"])
def test_each_data_connection_mode_delivers_the_clip(
    mode, ftp_connect, make_camera, camera_clip, ingest_settings
):
    camera = make_camera()
    ftp = ftp_connect(camera)
    if mode == "PORT":
        ftp.set_pasv(False)
    elif mode == "EPSV":
        ftp.makepasv = lambda: ftplib.parse229(ftp.sendcmd("EPSV"), ftp.sock.getpeername())
    with camera_clip.open("rb") as clip:
        ftp.storbinary("STOR clip.mp4", clip)
    [(_meta, clip)] = spooled(ingest_settings)
    assert clip.read_bytes() == camera_clip.read_bytes()


def test_passive_reply_uses_port_range_and_masquerade_address(
    make_camera, catalog, ingest_settings
):
    from ingestd.daemon import IngestDaemon

    ingest_settings.ftp.masquerade_address = "203.0.113.7"
    ingest_settings.sftp.enabled = False
    camera = make_camera()
    daemon = IngestDaemon(ingest_settings)
    daemon.start()
    try:
        ftp = ftplib.FTP()
        ftp.connect(*daemon.ftp.address, timeout=10)
        ftp.login(camera["username"], camera["password"])
        reply = ftp.sendcmd("PASV")
        host, port = ftplib.parse227(reply)
        ftp.close()
    finally:
        daemon.stop()
    assert host == "203.0.113.7"
    assert port in ingest_settings.ftp.passive_port_range


def test_aborted_upload_is_removed_and_never_spooled(
    ftp_connect, make_camera, camera_clip, ingest_settings, caplog
):
    camera = make_camera()
    ftp = ftp_connect(camera)
    ftp.voidcmd("TYPE I")
    data = ftp.transfercmd("STOR cut.mp4")
    data.sendall(camera_clip.read_bytes()[:200_000])
    time.sleep(0.2)
    if ftp.abort().startswith("426"):
        ftp.voidresp()  # RFC 959: 426 for the transfer, then 226 for the ABOR itself
    data.close()
    assert wait_until(lambda: jail_files(ingest_settings) == [])
    assert spooled(ingest_settings) == []
    assert "upload incomplete, removed" in caplog.text
    # The session goes on: the next upload arrives.
    with camera_clip.open("rb") as clip:
        ftp.storbinary("STOR whole.mp4", clip)
    assert [meta.original_name for meta, _ in spooled(ingest_settings)] == ["whole.mp4"]


def test_dropped_control_connection_mid_upload_leaves_nothing(
    ftp_connect, make_camera, camera_clip, ingest_settings
):
    camera = make_camera()
    ftp = ftp_connect(camera)
    ftp.voidcmd("TYPE I")
    data = ftp.transfercmd("STOR cut.mp4")
    data.sendall(camera_clip.read_bytes()[:300_000])
    time.sleep(0.2)
    ftp.sock.shutdown(socket.SHUT_RDWR)  # the camera lost power: the control connection goes
    assert wait_until(lambda: jail_files(ingest_settings) == [])
    data.close()
    time.sleep(0.2)
    assert spooled(ingest_settings) == []


def test_reset_data_connection_leaves_nothing(
    ftp_connect, make_camera, camera_clip, ingest_settings
):
    camera = make_camera()
    ftp = ftp_connect(camera)
    ftp.voidcmd("TYPE I")
    data = ftp.transfercmd("STOR cut.mp4")
    data.sendall(camera_clip.read_bytes()[:300_000])
    # Reset only once the server is writing the file, i.e. has accepted the data connection.
    assert wait_until(lambda: any(p.stat().st_size for p in jail_files(ingest_settings)))
    # SO_LINGER 0: close() sends RST, a broken link rather than a finished file.
    data.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    data.close()
    with pytest.raises(ftplib.error_temp):
        ftp.voidresp()
    assert wait_until(lambda: jail_files(ingest_settings) == [])
    assert spooled(ingest_settings) == []


def test_appe_rename_and_delete_work_inside_the_jail(
    ftp_connect, make_camera, camera_clip, ingest_settings
):
    camera = make_camera()
    ftp = ftp_connect(camera)
    ftp.mkd("tmp")
    ftp.rename("tmp", "20240501")
    ftp.mkd("scratch")
    ftp.rmd("scratch")
    assert ftp.nlst() == ["20240501"]
    with camera_clip.open("rb") as clip:
        ftp.storbinary("APPE 20240501/appended.mp4", clip)
    assert [m.original_path for m, _ in spooled(ingest_settings)] == ["20240501/appended.mp4"]
    with pytest.raises(ftplib.error_perm, match="550"):
        ftp.delete("20240501/appended.mp4")  # handed over already: not the camera's any more


def test_rename_and_delete_of_a_file_still_in_the_jail(ftp_connect, make_camera, ingest_settings):
    camera = make_camera()
    jail = ingest_settings.storage.uploads_dir / camera["username"]
    ftp = ftp_connect(camera)
    # A file can only stay in a jail if it was put there by the server side; make one.
    (jail / "old.mp4").write_bytes(b"leftover")
    ftp.rename("old.mp4", "new.mp4")
    assert (jail / "new.mp4").read_bytes() == b"leftover"
    ftp.delete("new.mp4")
    assert jail_files(ingest_settings) == []


def test_empty_upload_is_spooled_for_the_pipeline_to_record(
    ftp_connect, make_camera, ingest_settings
):
    # The pipeline records it as rejected `empty`: a 226 never means "silently dropped".
    camera = make_camera()
    ftp = ftp_connect(camera)
    ftp.storbinary("STOR test.jpg", io.BytesIO(b""))
    [(meta, clip)] = spooled(ingest_settings)
    assert meta.size_bytes == 0 and clip.read_bytes() == b""
    assert jail_files(ingest_settings) == []


def test_every_command_is_logged_at_debug_without_secrets(
    ftp_connect, make_camera, camera_clip, caplog
):
    caplog.set_level(logging.DEBUG)
    camera = make_camera()
    ftp = ftp_connect(camera)
    with camera_clip.open("rb") as clip:
        ftp.storbinary("STOR clip.mp4", clip)
    text = caplog.text
    for command in ("<- PASS ******", "<- TYPE I", "<- PASV", "<- STOR clip.mp4"):
        assert command in text
    assert camera["password"] not in text
    assert camera["username"] not in text
    upload_lines = [r for r in caplog.records if r.getMessage().startswith("upload spooled")]
    assert len(upload_lines) == 1
    assert f"camera={camera['id']}" in upload_lines[0].getMessage()


def test_debug_log_holds_no_full_client_address_in_any_data_mode(ftp_connect, make_camera, caplog):
    caplog.set_level(logging.DEBUG)
    camera = make_camera()
    ftp = ftp_connect(camera)
    ftp.storbinary("STOR passive.mp4", io.BytesIO(b"clip"))
    ftp.set_pasv(False)  # PORT: the server connects back to the client's address
    ftp.storbinary("STOR active.mp4", io.BytesIO(b"clip"))
    with contextlib.suppress(ftplib.Error):
        ftp.sendcmd("EPRT |1|127.0.0.1|9999|")  # an address written the RFC 2428 way
    ftp.quit()
    for record in caplog.records:
        text = record.getMessage()
        if "listening on" in text:
            continue
        assert "127.0.0.1" not in text, text
        assert "127,0,0,1" not in text, text
