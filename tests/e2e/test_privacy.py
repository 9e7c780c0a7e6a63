"""Privacy after a full run: no e-mail address, password or full client address in any log;
the data export holds every row that mentions the user; deleting the account leaves no row and
no file of it; deleting a recording leaves no record of its upload, and records of refused
uploads expire; login limits, known devices and the camera relay keep no personal data in logs
or in ingestd's ban file."""

from __future__ import annotations

import contextlib
import ftplib
import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta

import paramiko
import pytest
import requests
from PIL import Image

from core.catalog import atomic, open_catalog, utcnow
from core.catalog.notices import insert_notice
from core.catalog.notifications import add_target, queue_delivery
from core.catalog.tokens import create_token, hash_token
from pipeline.scheduler.retention import expire_upload_records
from tests.conftest import MODELS, requires_shared, wait_for
from tests.integrations.fakes import FakeCamera

EMAIL = "privacy.person@example.org"
PASSWORD = "Privacy-Password-42"
CLIENT_IP = "127.0.0.77"  # the camera's address: must never appear whole in a log
WRONG_PASSWORD = "Wrong-Secret-9931"
SEALED_URL = "SEALED-URL-never-exported-5521"
SEALED_SECRET = "SEALED-SECRET-never-exported-7713"
SECRET_WORDS = ("secret", "hash", "sealed")


def upload_from(vault, camera, name, data, password=None):
    host, port = vault.ftp_address
    with ftplib.FTP(source_address=(CLIENT_IP, 0)) as ftp:
        ftp.connect(host, port, timeout=30)
        ftp.login(camera["username"], password or camera["password"])
        with contextlib.suppress(ftplib.error_perm):
            ftp.mkd("20261125")
        ftp.cwd("20261125")
        ftp.storbinary(f"STOR {name}", io.BytesIO(data))


def jpeg_snapshot() -> bytes:
    """A JPEG like an IN-8015's snapshot of its 1280x720 stream."""
    buffer = io.BytesIO()
    Image.linear_gradient("L").resize((1280, 720)).convert("RGB").save(buffer, "JPEG")
    return buffer.getvalue()


def rows_mentioning(db, user_id: int) -> dict[str, list[dict]]:
    """Every catalog row that refers to the user, found independently of the export code."""
    camera_ids = {r[0] for r in db.execute("SELECT id FROM cameras WHERE owner_id = ?", [user_id])}
    recording_ids = (
        {
            r[0]
            for r in db.execute(
                f"SELECT id FROM recordings WHERE camera_id IN ({','.join('?' * len(camera_ids))})",  # noqa: S608
                list(camera_ids),
            )
        }
        if camera_ids
        else set()
    )
    job_ids = (
        {
            r[0]
            for r in db.execute(
                f"SELECT id FROM jobs WHERE camera_id IN ({','.join('?' * len(camera_ids))})",  # noqa: S608
                list(camera_ids),
            )
        }
        if camera_ids
        else set()
    )
    tables = [
        table
        for table in db.table_names()
        if not (table.startswith(("_", "sqlite")) or table.endswith(("_fts", "_fts_data")))
    ]
    found_by_rowid: dict[str, dict[int, dict]] = {table: {} for table in tables}
    all_rows: dict[str, dict[int, dict]] = {}
    for table in tables:
        all_rows[table] = {}
        for row in db[table].rows_where(select="rowid AS _rid, *"):
            rowid = row.pop("_rid")
            all_rows[table][rowid] = row
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
                found_by_rowid[table][rowid] = row
    # A row that points at a mentioned row through a declared foreign key mentions the user too
    # (a notification delivery through its target …), followed until nothing changes.
    foreign = {
        table: [
            (fk[3], fk[2], fk[4] or "id")
            for fk in db.execute(f"PRAGMA foreign_key_list([{table}])").fetchall()
        ]
        for table in tables
    }
    changed = True
    while changed:
        changed = False
        for table in tables:
            for column, parent, parent_column in foreign[table]:
                values = {row.get(parent_column) for row in found_by_rowid.get(parent, {}).values()}
                values.discard(None)
                for rowid, row in all_rows[table].items():
                    if rowid not in found_by_rowid[table] and row.get(column) in values:
                        found_by_rowid[table][rowid] = row
                        changed = True
    return {table: list(rows.values()) for table, rows in found_by_rowid.items() if rows}


@pytest.fixture
def settings_dict(settings_dict):
    settings_dict["logging"]["level"] = "DEBUG"  # the most talkative logs must be clean too
    settings_dict["detection"] = {"models_dir": str(MODELS)}  # labels belong in the export
    # A (fake) camera on loopback that does not answer.
    settings_dict["api"] = {"camera_timeout_s": 1.0, "camera_allow_loopback": True}
    return settings_dict


def add_account_extras(vault, camera_id: int) -> tuple[int, str]:
    """What an active customer has besides clips: an API token, notification targets (one for
    the whole account, one for a camera) with a delivery, and a notice to the owner."""
    db = open_catalog(vault.settings.storage.catalog_path, migrate=False)
    user_id = db.execute("SELECT id FROM users WHERE email = ?", [EMAIL]).fetchone()[0]
    _, api_token = create_token(db, user_id, "home automation", "read")
    # Fair-use events only, so that no delivery is queued behind the test's back.
    account_wide = add_target(db, user_id, kind="mqtt", name="every camera", events=["fairuse"])
    add_target(
        db,
        user_id,
        kind="webhook",
        name="porch hook",
        camera_id=camera_id,
        events=["fairuse"],
        sealed_url=SEALED_URL,
        url_host="hooks.example.net",
        sealed_secret=SEALED_SECRET,
    )
    with atomic(db):
        queue_delivery(db, account_wide["id"], "fairuse", "privacy-test:1", {"camera": camera_id})
        insert_notice(
            db,
            user_id=user_id,
            camera_id=None,
            kind="account",
            title="Welcome",
            body="Your account is ready.",
            advice=[],
            evidence={},
            created_at=utcnow(),
        )
    db.close()
    return user_id, api_token


def is_secret_column(name: str) -> bool:
    return any(word in name.lower() for word in SECRET_WORDS) or name == "mail_optout_key"


def test_logs_export_and_account_deletion_respect_privacy(vault, people_clip, tmp_path):
    requires_shared("models", "yolov8n_416x256.onnx")
    vault.add_user(EMAIL, PASSWORD)
    camera = vault.add_camera(EMAIL)
    assert vault.cli_json("camera", "set", str(camera["id"]), "--detect", "objects")["detect"] == [
        "objects"
    ]
    user_id, api_token = add_account_extras(vault, camera["id"])
    clip = people_clip.read_bytes()
    upload_from(vault, camera, "A20261125_120000.mp4", clip)
    # A snapshot of the same alarm (kept as its still) and one of an alarm without a clip.
    upload_from(vault, camera, "P20261125_120003.jpg", jpeg_snapshot())
    upload_from(vault, camera, "P20261125_121000.jpg", jpeg_snapshot())
    upload_from(vault, camera, "A20261125_120100.mp4", b"not a video" * 10)
    with pytest.raises(ftplib.error_perm):
        upload_from(vault, camera, "A20261125_120200.mp4", clip, password=WRONG_PASSWORD)
    sftp_host, sftp_port = vault.sftp_address
    transport = paramiko.Transport((sftp_host, sftp_port))
    with pytest.raises(paramiko.AuthenticationException):
        transport.connect(username=camera["username"], password=WRONG_PASSWORD)
    transport.close()
    wait_for(
        lambda: (
            (rows := vault.cli_json("recordings", "list"))
            and sum(len(row["stills"]) for row in rows) == 2
        ),
        timeout=30,
        what="clip and snapshots indexed",
    )

    def analysed():
        db = open_catalog(vault.settings.storage.catalog_path, migrate=False)
        try:
            return db.execute("SELECT count(*) FROM detection_runs").fetchone()[0]
        finally:
            db.close()

    wait_for(analysed, timeout=60, what="clip analysed")

    web = vault.web_login(EMAIL, PASSWORD)
    web.get(f"{vault.web_url}/recordings", timeout=10)
    export = web.get(f"{vault.web_url}/account/export", timeout=30)
    assert export.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    texts = {
        name.removesuffix(".json"): archive.read(name).decode()
        for name in archive.namelist()
        if name.endswith(".json")
    }
    exported = {name: json.loads(text) for name, text in texts.items()}

    db = open_catalog(vault.settings.storage.catalog_path, migrate=False)
    mentioned = rows_mentioning(db, user_id)
    db.close()
    assert {
        "users",
        "cameras",
        "recordings",
        "jobs",
        "rejections",
        "api_tokens",
        "notification_targets",
        "notification_deliveries",
        "notices",
        "detection_runs",
        "recording_labels",
        "stills",
    } <= set(mentioned)
    assert len(mentioned["stills"]) == 2
    assert len(mentioned["notification_targets"]) == 2  # the account-wide one has no camera
    for table, rows in mentioned.items():
        key = "user" if table == "users" else table
        assert key in exported, f"export lacks table {table}"
        in_export = exported[key] if isinstance(exported[key], list) else [exported[key]]
        assert len(in_export) == len(rows), f"export of {table}: {len(in_export)} != {len(rows)}"
    for name, value in exported.items():
        for row in value if isinstance(value, list) else [value]:
            secret = [key for key in row if is_secret_column(key)]
            assert not secret, f"export of {name} holds secret columns {secret}"
    everything = "".join(texts.values())
    for secret in (SEALED_URL, SEALED_SECRET, api_token, hash_token(api_token), PASSWORD):
        assert secret not in everything

    # Delete the account through the UI.
    page = web.get(f"{vault.web_url}/account", timeout=10)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    response = web.post(
        f"{vault.web_url}/account/delete",
        data={"csrf_token": token, "confirm": "DELETE", "current_password": PASSWORD},
        timeout=30,
    )
    assert response.status_code == 200
    db = open_catalog(vault.settings.storage.catalog_path, migrate=False)
    assert rows_mentioning(db, user_id) == {}
    db.close()
    storage = vault.settings.storage
    for root in (
        storage.recordings_dir,
        storage.thumbs_dir,
        storage.uploads_dir,
        storage.incoming_dir,
    ):
        files = [p for p in root.rglob("*") if p.is_file()] if root.exists() else []
        assert files == [], f"{root} still holds {files[:3]}"

    log = vault.log.read_text(errors="replace")
    assert EMAIL not in log
    assert PASSWORD not in log and WRONG_PASSWORD not in log
    assert camera["password"] not in log
    assert CLIENT_IP not in log
    assert "127.0.0.0/24" in log  # the address is logged, shortened


def rows_containing(db, text: str) -> dict[str, list[dict]]:
    """Every row of every table with ``text`` anywhere in it."""
    found = {}
    for table in db.table_names():
        if table.startswith(("_", "sqlite")) or "_fts" in table:
            continue
        rows = [row for row in db[table].rows if text in json.dumps(row, default=str)]
        if rows:
            found[table] = rows
    return found


def test_deleted_recordings_and_refused_uploads_leave_no_record_of_the_upload(vault, camera_clip):
    vault.add_user(EMAIL, PASSWORD)
    camera = vault.add_camera(EMAIL)
    kept_name, deleted_name, refused_name = (
        "A20261125_130000.mp4",
        "A20261125_130100_garden-gate.mp4",
        "A20261125_130200_not-a-clip.mp4",
    )
    clip = camera_clip.read_bytes()
    for name, data in ((kept_name, clip), (deleted_name, clip), (refused_name, b"text" * 40)):
        upload_from(vault, camera, name, data)
    catalog = vault.settings.storage.catalog_path

    def settled():
        db = open_catalog(catalog, migrate=False)
        try:
            recordings = list(db.query("SELECT id, original_name FROM recordings"))
            refused = db.execute("SELECT count(*) FROM rejections").fetchone()[0]
        finally:
            db.close()
        return (
            {r["original_name"]: r["id"] for r in recordings}
            if len(recordings) == 2 and refused
            else None
        )

    recordings = wait_for(settled, timeout=60, what="two clips indexed, one refused")
    web = vault.web_login(EMAIL, PASSWORD)
    page = web.get(f"{vault.web_url}/recordings/{recordings[deleted_name]}", timeout=10)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    deleted = web.post(
        f"{vault.web_url}/recordings/{recordings[deleted_name]}/delete",
        data={"csrf_token": token},
        timeout=30,
    )
    assert deleted.status_code == 200

    db = open_catalog(catalog, migrate=False)
    try:
        assert rows_containing(db, deleted_name) == {}
        assert set(rows_containing(db, kept_name)) == {"jobs", "recordings"}
        assert set(rows_containing(db, refused_name)) == {"jobs", "rejections"}
        # The schedule's run once the records of refused uploads are due.
        due = datetime.now(UTC) + timedelta(days=vault.settings.schedule.upload_records_days + 1)
        expire_upload_records(db, vault.settings, due)
        assert rows_containing(db, refused_name) == {}
        assert set(rows_containing(db, kept_name)) == {"jobs", "recordings"}
    finally:
        db.close()


CAMERA_LOGIN = "relay-admin-4471"
CAMERA_LOGIN_PASSWORD = "Relay-Secret-8842"


def ban_file_bytes(settings) -> bytes:
    """ingestd's shared ban file (failed logins, known logins) with its WAL, as stored."""
    path = settings.storage.data_dir / "ingestd-bans.sqlite"
    return b"".join(
        p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists()
    )


def test_lockouts_known_logins_and_the_camera_relay_keep_personal_data_private(vault):
    """Issue 15, items 2, 6 and 8 in the privacy suite: the login limits (web, camera logins per
    address and account, known devices and cameras) and the camera relay (slots, deadlines,
    refused networks) write no e-mail address, password, user name or full address to a log or
    to ingestd's ban file; the relay's stored camera login is exported without its secrets and
    leaves with the account."""
    vault.add_user(EMAIL, PASSWORD)
    camera = vault.add_camera(EMAIL)
    upload_from(vault, camera, "A20261125_140000.mp4", b"known camera" * 10)  # a known login
    for _ in range(vault.settings.ingest.ban_after_failures):
        with pytest.raises(ftplib.error_perm):
            upload_from(vault, camera, "A.mp4", b"x", password=WRONG_PASSWORD)
    # A password typed into the user name field (it happens) must not be kept either.
    with ftplib.FTP(source_address=(CLIENT_IP, 0)) as ftp:
        ftp.connect(*vault.ftp_address, timeout=30)
        with pytest.raises(ftplib.error_perm):
            ftp.login(WRONG_PASSWORD, PASSWORD)

    # The web UI's limit per (network, account): refused now, the known browser still gets in.
    web = vault.web_login(EMAIL, PASSWORD)
    for _ in range(vault.settings.web.login_max_failures + 1):
        stranger = requests.Session()
        page = stranger.get(f"{vault.web_url}/login", timeout=10)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
        last = stranger.post(
            f"{vault.web_url}/login",
            data={"email": EMAIL, "password": WRONG_PASSWORD, "csrf_token": token},
            timeout=10,
        )
    assert last.status_code == 429

    # The camera relay: a metadata address is refused, a camera that does not answer ends with
    # the uniform 502 at its deadline.
    silent_camera = FakeCamera("fullhd").start()
    silent_camera.delay_s = 5.0
    db = open_catalog(vault.settings.storage.catalog_path, migrate=False)
    user_id = db.execute("SELECT id FROM users WHERE email = ?", [EMAIL]).fetchone()[0]
    _, api_token = create_token(db, user_id, "relay", "control")
    db.close()
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {api_token}"
    access_url = f"{vault.web_url}/api/v1/cameras/{camera['id']}/access"
    body = {"username": CAMERA_LOGIN, "password": CAMERA_LOGIN_PASSWORD, "dialect": "fullhd"}
    refused = api.put(access_url, json={**body, "address": "169.254.169.254"}, timeout=10)
    assert refused.status_code == 422
    stored = api.put(access_url, json={**body, "address": silent_camera.address}, timeout=10)
    assert stored.status_code == 200, stored.text
    try:
        snapshot = api.get(f"{vault.web_url}/api/v1/cameras/{camera['id']}/snapshot", timeout=30)
    finally:
        silent_camera.stop()
    assert snapshot.status_code == 502
    assert snapshot.json()["error"] == "camera_unreachable", snapshot.json()

    export = web.get(f"{vault.web_url}/account/export", timeout=30)
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    [access] = json.loads(archive.read("camera_access.json"))
    assert not [key for key in access if is_secret_column(key)]
    everything = b"".join(archive.read(name) for name in archive.namelist())
    for secret in (CAMERA_LOGIN_PASSWORD, api_token, PASSWORD):
        assert secret.encode() not in everything

    banned = ban_file_bytes(vault.settings)
    assert banned, "ingestd keeps no ban file"
    for text in (camera["username"], WRONG_PASSWORD, PASSWORD, camera["password"], EMAIL):
        assert text.encode() not in banned, text

    page = web.get(f"{vault.web_url}/account", timeout=10)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
    deleted = web.post(
        f"{vault.web_url}/account/delete",
        data={"csrf_token": token, "confirm": "DELETE", "current_password": PASSWORD},
        timeout=30,
    )
    assert deleted.status_code == 200
    db = open_catalog(vault.settings.storage.catalog_path, migrate=False)
    try:
        assert rows_mentioning(db, user_id) == {}
    finally:
        db.close()

    log = vault.log.read_text(errors="replace")
    assert "login ban: one account from 127.0.0.0/24" in log
    assert "login refused: too many failures" in log
    for text in (
        EMAIL,
        PASSWORD,
        WRONG_PASSWORD,
        camera["password"],
        camera["username"],
        CAMERA_LOGIN,
        CAMERA_LOGIN_PASSWORD,
        CLIENT_IP,
        api_token,
    ):
        assert text not in log, text
