"""Limits with clear answers: quota (552 / SFTP failure), free disk (452), size cap,
connections per address, idle timeouts."""

from __future__ import annotations

import ftplib
import io
import logging
import shutil
import socket
import threading
import time
from pathlib import Path

import paramiko
import pytest

from core.catalog import atomic
from core.catalog.jobs import register_job
from ingestd.daemon import IngestDaemon
from tests.ingestd.conftest import jail_files, spooled, wait_until

MIB = 1024 * 1024


def _fill_quota(catalog, camera, quota_mb: int, used_bytes: int) -> None:
    """Give the owner a quota and a pending upload of ``used_bytes`` counted against it."""
    with atomic(catalog):
        catalog["users"].update(camera["owner"]["id"], {"quota_mb": quota_mb})
    register_job(
        catalog,
        {"upload_id": "earlier-upload", "camera_id": camera["id"], "size_bytes": used_bytes},
    )


def test_full_quota_refuses_ftp_upload_with_552(ftp_connect, make_camera, catalog, ingest_settings):
    camera = make_camera()
    _fill_quota(catalog, camera, quota_mb=1, used_bytes=2 * MIB)
    ftp = ftp_connect(camera)
    with pytest.raises(ftplib.error_perm, match="552 Storage quota exceeded"):
        ftp.storbinary("STOR clip.mp4", io.BytesIO(b"x" * 1000))
    assert spooled(ingest_settings) == []
    assert jail_files(ingest_settings) == []


def test_upload_running_past_the_quota_is_stopped_with_552(
    ftp_connect, make_camera, catalog, ingest_settings
):
    camera = make_camera()
    _fill_quota(catalog, camera, quota_mb=2, used_bytes=1 * MIB)
    ftp = ftp_connect(camera)
    with pytest.raises((ftplib.error_perm, OSError)) as stopped:
        ftp.storbinary("STOR big.mp4", io.BytesIO(b"x" * (3 * MIB)))
    if not isinstance(stopped.value, ftplib.error_perm):
        # The server stopped reading, so the client's send failed first; the reply waits.
        with pytest.raises(ftplib.error_perm, match="552 Storage quota exceeded"):
            ftp.voidresp()
    else:
        assert str(stopped.value).startswith("552 Storage quota exceeded")
    assert wait_until(lambda: jail_files(ingest_settings) == [])
    assert spooled(ingest_settings) == []
    # What still fits is accepted.
    ftp.storbinary("STOR small.mp4", io.BytesIO(b"x" * 1000))
    assert [m.original_name for m, _ in spooled(ingest_settings)] == ["small.mp4"]


def test_full_quota_fails_sftp_upload_with_a_message(
    sftp_connect, make_camera, catalog, ingest_settings
):
    camera = make_camera()
    _fill_quota(catalog, camera, quota_mb=1, used_bytes=2 * MIB)
    sftp = sftp_connect(camera)
    with pytest.raises(OSError, match="Storage quota exceeded"):
        sftp.putfo(io.BytesIO(b"x" * 1000), "clip.mp4", confirm=False)
    assert spooled(ingest_settings) == []


def test_sftp_upload_past_the_quota_fails_and_leaves_nothing(
    sftp_connect, make_camera, catalog, ingest_settings
):
    camera = make_camera()
    _fill_quota(catalog, camera, quota_mb=2, used_bytes=1 * MIB)
    sftp = sftp_connect(camera)
    # paramiko pipelines writes and reads their replies in batches of 100 (32 KiB each), so
    # send enough that the refusal reaches it before the close, whose errors it ignores.
    with pytest.raises(OSError, match="Storage quota exceeded"):
        sftp.putfo(io.BytesIO(b"x" * (8 * MIB)), "big.mp4", confirm=False)
    assert wait_until(lambda: jail_files(ingest_settings) == [])
    assert spooled(ingest_settings) == []


def test_oversized_file_is_refused_with_552(ingest_settings, catalog, make_camera, camera_clip):
    ingest_settings.ingest.max_upload_mb = 1
    ingest_settings.sftp.enabled = False
    camera = make_camera()
    daemon = IngestDaemon(ingest_settings)
    daemon.start()
    try:
        ftp = ftplib.FTP()
        ftp.connect(*daemon.ftp.address, timeout=10)
        ftp.login(camera["username"], camera["password"])
        with pytest.raises((ftplib.error_perm, OSError)) as stopped:
            ftp.storbinary("STOR huge.mp4", io.BytesIO(b"x" * (3 * MIB)))
        if not isinstance(stopped.value, ftplib.error_perm):
            with pytest.raises(ftplib.error_perm) as stopped:
                ftp.voidresp()
        assert str(stopped.value).startswith("552 File too large")
        ftp.close()
    finally:
        daemon.stop()
    assert spooled(ingest_settings) == []


def test_low_disk_refuses_uploads_with_452(ingest_settings, catalog, make_camera):
    ingest_settings.storage.min_free_mb = 1024 * 1024 * 1024  # more than any disk has free
    camera = make_camera()
    daemon = IngestDaemon(ingest_settings)
    daemon.start()
    try:
        ftp = ftplib.FTP()
        ftp.connect(*daemon.ftp.address, timeout=10)
        ftp.login(camera["username"], camera["password"])
        with pytest.raises(
            ftplib.error_temp, match=r"452 Insufficient storage space on the server \(upload area\)"
        ):
            ftp.storbinary("STOR clip.mp4", io.BytesIO(b"x" * 1000))
        ftp.close()
        transport = paramiko.Transport(daemon.sftp.address)
        transport.connect(username=camera["username"], password=camera["password"])
        sftp = paramiko.SFTPClient.from_transport(transport)
        with pytest.raises(OSError, match=r"Insufficient storage space on the server \(upload"):
            sftp.putfo(io.BytesIO(b"x" * 1000), "clip.mp4", confirm=False)
        transport.close()
    finally:
        daemon.stop()
    assert spooled(ingest_settings) == []


def test_a_full_media_folder_elsewhere_refuses_uploads_until_it_has_room(
    ingest_settings, catalog, make_camera, small_file_system, caplog
):
    """The shared media folder is a real 1 MiB file system of its own, below min_free_mb while
    the data folder has plenty: cameras are told to try later (452; an SFTP failure) with the
    space named, and keep their clips; once the folder has room an upload goes through."""
    caplog.set_level(logging.INFO, logger="ingestd.limits")
    ingest_settings.storage.media = str(small_file_system.path)
    ingest_settings.storage.min_free_mb = 2
    camera = make_camera()
    daemon = IngestDaemon(ingest_settings)
    daemon.start()
    try:
        ftp = ftplib.FTP()
        ftp.connect(*daemon.ftp.address, timeout=10)
        ftp.login(camera["username"], camera["password"])
        with pytest.raises(ftplib.error_temp) as refused:
            ftp.storbinary("STOR clip.mp4", io.BytesIO(b"x" * 1000))
        assert str(refused.value) == (
            "452 Insufficient storage space on the server (recordings store); try later."
        )
        transport = paramiko.Transport(daemon.sftp.address)
        transport.connect(username=camera["username"], password=camera["password"])
        sftp = paramiko.SFTPClient.from_transport(transport)
        with pytest.raises(OSError, match=r"space on the server \(recordings store\); try later"):
            sftp.putfo(io.BytesIO(b"x" * 1000), "clip.mp4", confirm=False)
        transport.close()
        assert spooled(ingest_settings) == [] and jail_files(ingest_settings) == []

        small_file_system.resize(4 * 1024)
        guard = daemon.guard
        assert guard is not None
        assert wait_until(lambda: guard.disk_left()[0] > 0, timeout=5)
        ftp.storbinary("STOR clip.mp4", io.BytesIO(b"x" * 1000))
        ftp.close()
    finally:
        daemon.stop()
    assert [meta.original_name for meta, _ in spooled(ingest_settings)] == ["clip.mp4"]
    [warning] = [
        record
        for record in caplog.records
        if record.name == "ingestd.limits" and record.levelno >= logging.WARNING
    ]
    assert warning.getMessage() == (
        f"uploads refused: the media area ({small_file_system.path}) has less than "
        "[storage] min_free_mb = 2 MB free; cameras are told to try later"
    )
    assert "uploads accepted again: the media area has room" in caplog.text


def test_a_hung_media_mount_never_stalls_uploads_and_refuses_them_until_it_answers(
    ingest_settings, catalog, make_camera, small_file_system, monkeypatch, caplog
):
    """A hard-mounted NFS media folder that hangs blocks statvfs for good. Here the statvfs of
    the media folder (a file system of its own) waits on an Event instead: the FTP I/O loop
    never waits with it (an upload starts at once); once it has not answered for
    free_space_timeout_s uploads are refused with 452 naming the area (the camera keeps its
    clip); when it answers they go through again."""
    caplog.set_level(logging.INFO, logger="ingestd.limits")
    media = small_file_system.path
    ingest_settings.storage.media = str(media)
    ingest_settings.storage.min_free_mb = 0
    ingest_settings.ingest.free_space_check_s = 0.05
    ingest_settings.ingest.free_space_timeout_s = 1.5
    mount_answers = threading.Event()
    mount_answers.set()
    disk_usage = shutil.disk_usage

    def statvfs_of_a_mount_that_hangs(path):
        if Path(path) == media:
            mount_answers.wait()
        return disk_usage(path)

    monkeypatch.setattr(shutil, "disk_usage", statvfs_of_a_mount_that_hangs)
    camera = make_camera()
    daemon = IngestDaemon(ingest_settings)
    daemon.start()
    assert daemon.ftp is not None and daemon.guard is not None
    monitor = daemon.guard.monitor
    try:
        ftp = ftplib.FTP()
        host, port = daemon.ftp.address
        ftp.connect(host, port, timeout=10)
        ftp.login(camera["username"], camera["password"])
        mount_answers.clear()
        started = time.monotonic()
        ftp.storbinary("STOR during-hang.mp4", io.BytesIO(b"x" * 1000))
        assert time.monotonic() - started < 1.0

        assert wait_until(lambda: monitor.reading().unanswered is not None, timeout=5)
        started = time.monotonic()
        with pytest.raises(ftplib.error_temp) as refused:
            ftp.storbinary("STOR refused.mp4", io.BytesIO(b"x" * 1000))
        assert time.monotonic() - started < 1.0
        assert str(refused.value) == (
            "452 Storage space on the server (recordings store) cannot be checked; try later."
        )
        ftp.voidcmd("NOOP")  # the session lives on

        mount_answers.set()
        assert wait_until(lambda: monitor.reading().unanswered is None, timeout=5)
        ftp.storbinary("STOR after-hang.mp4", io.BytesIO(b"x" * 1000))
        ftp.close()
    finally:
        mount_answers.set()
        daemon.stop()
    assert sorted(meta.original_name for meta, _ in spooled(ingest_settings)) == [
        "after-hang.mp4",
        "during-hang.mp4",
    ]
    logged = [
        (record.levelno, record.getMessage())
        for record in caplog.records
        if record.name == "ingestd.limits"
    ]
    assert logged == [
        (
            logging.WARNING,
            f"uploads refused: the free space of the media area ({media}) has not been measured "
            "for over 1.5 s (its file system does not answer); cameras are told to try later",
        ),
        (logging.INFO, "uploads accepted again: the free space can be measured again"),
    ]


def test_connections_per_address_are_limited(ingest_settings, catalog):
    ingest_settings.ftp.max_connections_per_ip = 2
    ingest_settings.sftp.max_connections_per_ip = 2
    daemon = IngestDaemon(ingest_settings)
    daemon.start()
    clients = []
    try:
        for _ in range(2):
            ftp = ftplib.FTP()
            ftp.connect(*daemon.ftp.address, timeout=10)
            clients.append(ftp)
        third = ftplib.FTP()
        with pytest.raises(ftplib.error_temp, match="421 Too many connections"):
            third.connect(*daemon.ftp.address, timeout=10)
        third.close()

        ssh = [socket.create_connection(daemon.sftp.address, timeout=10) for _ in range(2)]
        for sock in ssh:
            assert sock.recv(100).startswith(b"SSH-2.0-AlarmVault")
        with socket.create_connection(daemon.sftp.address, timeout=10) as sock:
            assert sock.recv(100) == b"Too many connections from your address.\r\n"
        for sock in ssh:
            sock.close()
    finally:
        for ftp in clients:
            ftp.close()
        daemon.stop()


def test_idle_sessions_are_closed(ingest_settings, catalog, make_camera):
    ingest_settings.ftp.idle_timeout_s = 5
    ingest_settings.sftp.idle_timeout_s = 5
    camera = make_camera()
    daemon = IngestDaemon(ingest_settings)
    daemon.start()
    try:
        ftp = ftplib.FTP()
        ftp.connect(*daemon.ftp.address, timeout=15)
        ftp.login(camera["username"], camera["password"])
        transport = paramiko.Transport(daemon.sftp.address)
        transport.connect(username=camera["username"], password=camera["password"])
        paramiko.SFTPClient.from_transport(transport)
        time.sleep(5.5)
        with pytest.raises(ftplib.error_temp, match="421 Control connection timed out"):
            ftp.voidresp()
        assert wait_until(lambda: not transport.is_active(), timeout=5)
        ftp.close()
        transport.close()
    finally:
        daemon.stop()
