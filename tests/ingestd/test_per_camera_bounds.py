"""What one camera may hold of the resources every camera shares: open files (file descriptors
of the ingestd process) and complete uploads parked under a temporary name in its jail."""

from __future__ import annotations

import ftplib
import io
import logging

import paramiko
import pytest

from tests.ingestd.conftest import jail_files, spooled


@pytest.fixture
def tight_bounds(ingest_settings):
    # Ask for it before ``ingestd``: the servers read the settings when they start.
    ingest_settings.ingest.max_open_files_per_session = 3
    ingest_settings.ingest.max_uploads_awaiting_rename = 3
    return ingest_settings


def test_one_sftp_session_cannot_hold_open_more_files_than_its_share(
    tight_bounds, ingestd, make_camera, sftp_connect, caplog
):
    caplog.set_level(logging.INFO)
    camera = make_camera()
    sftp = sftp_connect(camera)
    files = [sftp.open(f"A_{number}.mp4", "wb") for number in range(3)]
    for file in files:
        file.write(b"part of a clip")
    with pytest.raises(OSError, match=r"Too many files open at once \(3 per session\)"):
        sftp.open("A_3.mp4", "wb")
    files.pop(0).close()  # one finished: the next may open
    files.append(sftp.open("A_3.mp4", "wb"))
    files[-1].write(b"the fourth")
    for file in files:
        file.close()
    assert sorted(meta.original_name for meta, _ in spooled(tight_bounds)) == [
        "A_0.mp4",
        "A_1.mp4",
        "A_2.mp4",
        "A_3.mp4",
    ]
    # A second session of the same camera has its own share.
    other = sftp_connect(camera)
    with other.open("A_4.mp4", "wb") as file:
        file.write(b"clip")
    refusals = [r.getMessage() for r in caplog.records if "open refused" in r.getMessage()]
    assert refusals and all(f"camera={camera['id']}" in line for line in refusals)


def test_uploads_waiting_for_a_rename_are_bounded_per_camera(
    tight_bounds, ingestd, make_camera, ftp_connect, caplog
):
    caplog.set_level(logging.INFO)
    camera, neighbour = make_camera(), make_camera()
    ftp = ftp_connect(camera)
    for number in range(8):
        ftp.storbinary(f"STOR A_{number}.mp4.part", io.BytesIO(b"clip %d" % number))
    # Three wait for their rename; the five oldest went under their own names.
    handed_over = sorted(meta.original_name for meta, _ in spooled(tight_bounds))
    assert handed_over == [f"A_{number}.mp4.part" for number in range(5)]
    assert sorted(path.name for path in jail_files(tight_bounds)) == [
        "A_5.mp4.part",
        "A_6.mp4.part",
        "A_7.mp4.part",
    ]
    # The newest still gets its rename, and another camera's waits are its own.
    ftp.rename("A_7.mp4.part", "A_7.mp4")
    other = ftp_connect(neighbour)
    other.storbinary("STOR B.mp4.part", io.BytesIO(b"clip"))
    assert "A_7.mp4" in [meta.original_name for meta, _ in spooled(tight_bounds)]
    assert "B.mp4.part" in [path.name for path in jail_files(tight_bounds)]
    lines = [r.getMessage() for r in caplog.records if "waiting for a rename" in r.getMessage()]
    assert len(lines) == 5 and all(f"camera={camera['id']}" in line for line in lines)


def test_an_ftp_session_cannot_park_more_than_its_cameras_share_either(
    tight_bounds, ingestd, make_camera, ftp_connect
):
    camera = make_camera()
    sessions = [ftp_connect(camera) for _ in range(2)]
    for number in range(4):
        for index, session in enumerate(sessions):
            session.storbinary(f"STOR S{index}_{number}.tmp", io.BytesIO(b"clip"))
    assert len(jail_files(tight_bounds)) == 3
    assert len(spooled(tight_bounds)) == 5
    for session in sessions:
        session.quit()
    with pytest.raises(ftplib.error_perm):  # handed over: it can no longer be renamed
        ftp_connect(camera).rename("S0_0.tmp", "S0_0.mp4")


def test_one_ssh_connection_cannot_open_channels_without_end(
    tight_bounds, ingestd, make_camera, ingest_settings, caplog
):
    caplog.set_level(logging.INFO)
    ingest_settings.sftp.max_channels_per_connection = 4  # the default, read at each connection
    camera = make_camera()
    transport = paramiko.Transport(ingestd.sftp.address)
    try:
        transport.connect(username=camera["username"], password=camera["password"])
        channels = [transport.open_session() for _ in range(4)]
        with pytest.raises(paramiko.ChannelException):
            transport.open_session()
        # The channels it has still work.
        channels[0].invoke_subsystem("sftp")
        sftp = paramiko.SFTPClient(channels[0])
        sftp.putfo(io.BytesIO(b"clip"), "A_channel.mp4", confirm=False)
        sftp.close()
    finally:
        transport.close()
    assert [meta.original_name for meta, _ in spooled(tight_bounds)] == ["A_channel.mp4"]
    assert any("ssh channel refused" in r.getMessage() for r in caplog.records)
