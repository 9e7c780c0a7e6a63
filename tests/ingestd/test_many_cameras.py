"""Nothing lost, nothing twice: 20 cameras at once over FTP, FTPS and SFTP."""

from __future__ import annotations

import ftplib
import hashlib
import threading
from collections import Counter

import paramiko

from tests.ingestd.conftest import jail_files, spooled

CAMERAS = 20
CLIPS_EACH = 2


def _upload_ftp(address, camera, clip, tls: bool) -> None:
    ftp = ftplib.FTP_TLS() if tls else ftplib.FTP()
    ftp.connect(*address, timeout=60)
    ftp.login(camera["username"], camera["password"])
    if tls:
        ftp.prot_p()
    ftp.mkd("20240501")
    ftp.cwd("20240501")
    for number in range(CLIPS_EACH):
        with clip.open("rb") as data:
            ftp.storbinary(f"STOR A{camera['id']:02d}_{number}.mp4", data)
    ftp.quit()


def _upload_sftp(address, camera, clip) -> None:
    transport = paramiko.Transport(address)
    try:
        transport.connect(username=camera["username"], password=camera["password"])
        sftp = paramiko.SFTPClient.from_transport(transport)
        sftp.mkdir("20240501")
        for number in range(CLIPS_EACH):
            sftp.put(str(clip), f"20240501/A{camera['id']:02d}_{number}.mp4")
        sftp.close()
    finally:
        transport.close()


def test_twenty_cameras_at_once_each_clip_spooled_exactly_once(
    ingestd, make_camera, camera_clip, ingest_settings
):
    cameras = [make_camera(name=f"cam{n}") for n in range(CAMERAS)]
    protocols = ["ftp", "ftps", "sftp"]
    errors: list[BaseException] = []

    def run(index: int, camera: dict) -> None:
        protocol = protocols[index % 3]
        try:
            if protocol == "sftp":
                _upload_sftp(ingestd.sftp.address, camera, camera_clip)
            else:
                _upload_ftp(ingestd.ftp.address, camera, camera_clip, tls=protocol == "ftps")
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=run, args=(index, camera), name=f"camera-{index}")
        for index, camera in enumerate(cameras)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors

    uploads = spooled(ingest_settings)
    expected_digest = hashlib.sha256(camera_clip.read_bytes()).hexdigest()
    keys = Counter((meta.camera_id, meta.original_path) for meta, _ in uploads)
    assert len(uploads) == CAMERAS * CLIPS_EACH
    assert all(count == 1 for count in keys.values())
    for index, camera in enumerate(cameras):
        for number in range(CLIPS_EACH):
            assert keys[(camera["id"], f"20240501/A{camera['id']:02d}_{number}.mp4")] == 1
        protocol = {m.protocol for m, _ in uploads if m.camera_id == camera["id"]}
        assert protocol == {protocols[index % 3]}
    for _, clip in uploads:
        assert hashlib.sha256(clip.read_bytes()).hexdigest() == expected_digest
    assert jail_files(ingest_settings) == []
