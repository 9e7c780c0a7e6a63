"""Privacy after a full run: no e-mail address, password or full client address in any log;
the data export holds every row that mentions the user; deleting the account leaves no row and
no file of it."""

from __future__ import annotations

import contextlib
import ftplib
import io
import json
import re
import zipfile

import paramiko
import pytest

from pipeline.catalog import open_catalog
from tests.e2e.conftest import wait_for

EMAIL = "privacy.person@example.org"
PASSWORD = "Privacy-Password-42"
CLIENT_IP = "127.0.0.77"  # the camera's address: must never appear whole in a log
WRONG_PASSWORD = "Wrong-Secret-9931"


def upload_from(vault, camera, name, data, password=None):
    host, port = vault.ftp_address
    with ftplib.FTP(source_address=(CLIENT_IP, 0)) as ftp:
        ftp.connect(host, port, timeout=30)
        ftp.login(camera["username"], password or camera["password"])
        with contextlib.suppress(ftplib.error_perm):
            ftp.mkd("20261125")
        ftp.cwd("20261125")
        ftp.storbinary(f"STOR {name}", io.BytesIO(data))


def rows_mentioning(db, user_id: int) -> dict[str, list[dict]]:
    """Every catalog row that refers to the user, found independently of the export code."""
    camera_ids = {r[0] for r in db.execute("SELECT id FROM cameras WHERE owner_id = ?", [user_id])}
    recording_ids = {
        r[0] for r in db.execute(
            f"SELECT id FROM recordings WHERE camera_id IN ({','.join('?' * len(camera_ids))})",  # noqa: S608
            list(camera_ids))
    } if camera_ids else set()
    job_ids = {
        r[0] for r in db.execute(
            f"SELECT id FROM jobs WHERE camera_id IN ({','.join('?' * len(camera_ids))})",  # noqa: S608
            list(camera_ids))
    } if camera_ids else set()
    found: dict[str, list[dict]] = {}
    for table in db.table_names():
        if table.startswith(("_", "sqlite")) or table.endswith(("_fts", "_fts_data")):
            continue
        for row in db[table].rows:
            mentions = (
                (table == "users" and row.get("id") == user_id)
                or (table == "cameras" and row.get("id") in camera_ids)
                or (table == "recordings" and row.get("id") in recording_ids)
                or (table == "jobs" and row.get("id") in job_ids)
                or row.get("user_id") == user_id
                or row.get("owner_id") == user_id
                or row.get("camera_id") in camera_ids
                or row.get("recording_id") in recording_ids
                or row.get("job_id") in job_ids
                or EMAIL in json.dumps(row, default=str)
            )
            if mentions:
                found.setdefault(table, []).append(row)
    return found


@pytest.fixture
def settings_dict(settings_dict):
    settings_dict["logging"]["level"] = "DEBUG"  # the most talkative logs must be clean too
    return settings_dict


def test_logs_export_and_account_deletion_respect_privacy(vault, camera_clip, tmp_path):
    vault.add_user(EMAIL, PASSWORD)
    camera = vault.add_camera(EMAIL)
    clip = camera_clip.read_bytes()
    upload_from(vault, camera, "A20261125_120000.mp4", clip)
    upload_from(vault, camera, "A20261125_120100.mp4", b"not a video" * 10)
    with pytest.raises(ftplib.error_perm):
        upload_from(vault, camera, "A20261125_120200.mp4", clip, password=WRONG_PASSWORD)
    sftp_host, sftp_port = vault.sftp_address
    transport = paramiko.Transport((sftp_host, sftp_port))
    with pytest.raises(paramiko.AuthenticationException):
        transport.connect(username=camera["username"], password=WRONG_PASSWORD)
    transport.close()
    wait_for(lambda: vault.cli_json("recordings", "list"), timeout=30, what="clip indexed")

    web = vault.web_login(EMAIL, PASSWORD)
    web.get(f"{vault.web_url}/recordings", timeout=10)
    export = web.get(f"{vault.web_url}/account/export", timeout=30)
    assert export.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    exported = {
        name.removesuffix(".json"): json.loads(archive.read(name))
        for name in archive.namelist() if name.endswith(".json")
    }

    db = open_catalog(vault.settings.storage.catalog_path, migrate=False)
    user_id = db.execute("SELECT id FROM users WHERE email = ?", [EMAIL]).fetchone()[0]
    mentioned = rows_mentioning(db, user_id)
    db.close()
    assert {"users", "cameras", "recordings", "jobs", "rejections"} <= set(mentioned)
    for table, rows in mentioned.items():
        key = "user" if table == "users" else table
        assert key in exported, f"export lacks table {table}"
        in_export = exported[key] if isinstance(exported[key], list) else [exported[key]]
        assert len(in_export) == len(rows), f"export of {table}: {len(in_export)} != {len(rows)}"
    assert "password_hash" not in export.content.decode("latin-1")

    # Delete the account through the UI.
    page = web.get(f"{vault.web_url}/account", timeout=10)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    response = web.post(f"{vault.web_url}/account/delete",
                        data={"csrf_token": token, "confirm": "DELETE",
                              "current_password": PASSWORD},
                        timeout=30)
    assert response.status_code == 200
    db = open_catalog(vault.settings.storage.catalog_path, migrate=False)
    assert rows_mentioning(db, user_id) == {}
    db.close()
    storage = vault.settings.storage
    for root in (storage.recordings_dir, storage.thumbs_dir, storage.uploads_dir,
                 storage.incoming_dir):
        files = [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
        assert files == [], f"{root} still holds {files[:3]}"

    log = vault.log.read_text(errors="replace")
    assert EMAIL not in log
    assert PASSWORD not in log and WRONG_PASSWORD not in log
    assert camera["password"] not in log
    assert CLIENT_IP not in log
    assert "127.0.0.0/24" in log  # the address is logged, shortened
