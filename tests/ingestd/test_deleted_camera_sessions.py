"""A session that logged in before its camera was deleted cannot spool another clip."""

from __future__ import annotations

import ftplib
import io

import pytest

from core.catalog.camera_edits import delete_camera_rows
from tests.ingestd.conftest import jail_files, spooled


def test_ftp_session_of_a_deleted_camera_cannot_spool_and_is_logged_out(
    ftp_connect, make_camera, catalog, ingest_settings
):
    camera = make_camera()
    ftp = ftp_connect(camera)
    ftp.storbinary("STOR first.mp4", io.BytesIO(b"\0" * 2048))
    [_] = spooled(ingest_settings)
    # Only the rows: the jail is still there, as in the moment between a deletion's steps.
    delete_camera_rows(catalog, camera["id"])

    with pytest.raises(ftplib.error_temp, match="451"):
        ftp.storbinary("STOR second.mp4", io.BytesIO(b"\0" * 2048))
    with pytest.raises(ftplib.error_perm, match="530"):
        ftp.storbinary("STOR third.mp4", io.BytesIO(b"\0" * 2048))

    assert len(spooled(ingest_settings)) == 1
    assert jail_files(ingest_settings) == []


def test_sftp_session_of_a_deleted_camera_cannot_spool(
    sftp_connect, make_camera, catalog, ingest_settings
):
    camera = make_camera()
    sftp = sftp_connect(camera)
    sftp.putfo(io.BytesIO(b"\0" * 2048), "first.mp4", confirm=False)
    [_] = spooled(ingest_settings)
    delete_camera_rows(catalog, camera["id"])

    # The refusal comes with the CLOSE, whose status paramiko's client does not report.
    sftp.putfo(io.BytesIO(b"\0" * 2048), "second.mp4", confirm=False)
    with pytest.raises(PermissionError, match="removed from AlarmVault"):
        sftp.putfo(io.BytesIO(b"\0" * 2048), "third.mp4", confirm=False)

    assert len(spooled(ingest_settings)) == 1
    assert jail_files(ingest_settings) == []
