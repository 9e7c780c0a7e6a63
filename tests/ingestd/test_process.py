"""``python -m ingestd`` as a real process: start, one log line per upload, SIGTERM, SIGKILL."""

from __future__ import annotations

import ftplib
import os
import signal
import subprocess
import sys
from pathlib import Path

import paramiko
import pytest

from core.settings import load_settings
from tests.conftest import REPO
from tests.ingestd.conftest import jail_files, spooled, wait_until
from tests.loopback import port_open, wait_listening

START_TIMEOUT_S = 60


def _start(config_file: Path, log: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO), ALARMVAULT_CONFIG=str(config_file))
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "ingestd"], cwd=REPO, env=env, stdout=output, stderr=output
        )


@pytest.fixture
def process_settings(config_file, catalog):
    settings = load_settings(config_file)
    return settings


def _addresses(settings):
    from core.settings import parse_listen

    return parse_listen(settings.ftp.listen), parse_listen(settings.sftp.listen)


def test_sigterm_stops_cleanly_after_logging_one_line_per_upload(
    config_file, process_settings, make_camera, camera_clip, tmp_path
):
    camera = make_camera()
    log = tmp_path / "ingestd.log"
    process = _start(config_file, log)
    try:
        ftp_address, sftp_address = _addresses(process_settings)
        wait_listening(
            process, [ftp_address[1], sftp_address[1]], "ingestd", log=log, timeout=START_TIMEOUT_S
        )
        ftp = ftplib.FTP()
        ftp.connect(*ftp_address, timeout=20)
        ftp.login(camera["username"], camera["password"])
        with camera_clip.open("rb") as clip:
            ftp.storbinary("STOR one.mp4", clip)
        ftp.quit()
        transport = paramiko.Transport(sftp_address)
        transport.connect(username=camera["username"], password=camera["password"])
        paramiko.SFTPClient.from_transport(transport).put(str(camera_clip), "two.mp4")
        transport.close()
    finally:
        process.send_signal(signal.SIGTERM)
        returncode = process.wait(timeout=20)
    assert returncode == 0
    text = log.read_text()
    assert text.count("upload spooled") == 2
    assert "ingestd stopped" in text
    assert camera["password"] not in text
    assert sorted(m.original_name for m, _ in spooled(process_settings)) == ["one.mp4", "two.mp4"]


def test_killed_ingestd_leaves_no_half_file_in_the_spool(
    config_file, process_settings, make_camera, camera_clip, tmp_path
):
    camera = make_camera()
    log = tmp_path / "ingestd.log"
    process = _start(config_file, log)
    ftp_address, sftp_address = _addresses(process_settings)
    clip_bytes = camera_clip.read_bytes()
    try:
        wait_listening(
            process, [ftp_address[1], sftp_address[1]], "ingestd", log=log, timeout=START_TIMEOUT_S
        )
        ftp = ftplib.FTP()
        ftp.connect(*ftp_address, timeout=20)
        ftp.login(camera["username"], camera["password"])
        ftp.voidcmd("TYPE I")
        data = ftp.transfercmd("STOR half-ftp.mp4")
        data.sendall(clip_bytes[: len(clip_bytes) // 2])
        transport = paramiko.Transport(sftp_address)
        transport.connect(username=camera["username"], password=camera["password"])
        remote = paramiko.SFTPClient.from_transport(transport).open("half-sftp.mp4", "wb")
        remote.write(clip_bytes[: len(clip_bytes) // 2])
        remote.flush()
        assert wait_until(
            lambda: len([p for p in jail_files(process_settings) if p.stat().st_size]) == 2
        )
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=20)
    data.close()
    ftp.close()
    transport.close()
    # Worker processes die with their parent, but a moment later: they must let go of the ports.
    assert wait_until(lambda: not port_open(ftp_address[1]) and not port_open(sftp_address[1]))
    assert spooled(process_settings) == []
    staging = process_settings.storage.staging_dir
    assert not staging.exists() or list(staging.iterdir()) == []

    # A restart clears the partial files from the jail and serves again.
    process = _start(config_file, log)
    try:
        wait_listening(
            process, [ftp_address[1], sftp_address[1]], "ingestd", log=log, timeout=START_TIMEOUT_S
        )
        assert jail_files(process_settings) == []
        ftp = ftplib.FTP()
        ftp.connect(*ftp_address, timeout=20)
        ftp.login(camera["username"], camera["password"])
        with camera_clip.open("rb") as clip:
            ftp.storbinary("STOR whole.mp4", clip)
        ftp.quit()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    assert [m.original_name for m, _ in spooled(process_settings)] == ["whole.mp4"]
    assert "removed 2 partial uploads" in log.read_text()


def test_bad_config_exits_with_the_reason(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('[ftp]\nlisten = "nowhere"\n')
    result = subprocess.run(
        [sys.executable, "-m", "ingestd", "--config", str(config)],
        cwd=REPO, capture_output=True, text=True, timeout=30, check=False,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )  # fmt: skip
    assert result.returncode == 2
    assert "ftp.listen" in result.stderr
