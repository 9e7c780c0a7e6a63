"""The account page: e-mail and password changes, mail choices and one-click opt-out, data
export, pausing, and deleting the account with every file and row."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from core.catalog.accounts import mail_optout_key
from core.catalog.users import get_user
from core.clipstore import ClipStore
from tests.webui.conftest import AuthActions, link_in

# Pages that read and write through the catalog: on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines


@pytest.fixture
def owner(make_user):
    return make_user("dora@example.com")


@pytest.fixture
def logged_in(auth, owner):
    auth.login_as(owner)
    return auth


def test_changing_the_email_takes_effect_when_the_mailed_link_is_opened(
    client, logged_in, owner, outbox, catalog
):
    response = logged_in.post(
        "/account/email", {"email": "dora.new@example.com", "current_password": owner["password"]}
    )
    assert response.status_code == 302
    [mail] = outbox()
    assert mail["To"] == "dora.new@example.com"
    assert get_user(catalog, owner["id"])["email"] == "dora@example.com"
    client.get(link_in(mail, "/account/email/"))
    assert get_user(catalog, owner["id"])["email"] == "dora.new@example.com"
    assert client.get("/account").status_code == 200  # this session survives the change


def test_changing_the_email_needs_the_current_password(logged_in, outbox):
    response = logged_in.post(
        "/account/email", {"email": "x@example.com", "current_password": "wrong"}
    )
    assert response.status_code == 400
    assert outbox() == []


def test_changing_the_password_logs_out_other_devices(app, client, logged_in, owner):
    other_device = app.test_client()
    AuthActions(other_device).login_as(owner)
    response = logged_in.post(
        "/account/password",
        {
            "current_password": owner["password"],
            "password": "fresh password 9",
            "password2": "fresh password 9",
        },
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert other_device.get("/account").status_code == 302
    assert (
        AuthActions(app.test_client()).login(owner["email"], "fresh password 9").status_code == 302
    )


def test_mail_choices_are_saved_and_one_click_opt_out_needs_no_login(
    app, logged_in, owner, catalog
):
    user = get_user(catalog, owner["id"])
    assert (user["mail_alarms"], user["mail_fairuse"]) == (0, 1)  # only what the service needs
    logged_in.post("/account/mail", {"alarms": "1", "fairuse": "1"})
    assert get_user(catalog, owner["id"])["mail_alarms"] == 1
    key = mail_optout_key(catalog, owner["id"])
    anonymous = app.test_client()
    page = anonymous.get(f"/mail/opt-out/{key}/alarms")
    assert page.status_code == 200
    assert b"You will get no more alarm notices" in page.data
    # RFC 8058 one-click: a mail client POSTs, without any CSRF token.
    assert anonymous.post(f"/mail/opt-out/{key}/fairuse").status_code == 200
    user = get_user(catalog, owner["id"])
    assert (user["mail_alarms"], user["mail_fairuse"]) == (0, 0)
    assert anonymous.get("/mail/opt-out/not-a-key/alarms").status_code == 404


def test_export_is_a_zip_of_json_with_everything_but_secrets(
    client, logged_in, owner, make_camera, store_recording, catalog
):
    camera = make_camera(owner, name="Garden")
    recording = store_recording(camera, poster=False)
    catalog.execute(
        "INSERT INTO recording_labels (recording_id, label, best_score, first_s, last_s)"
        " VALUES (?, 'animal', 0.7, 1.0, 2.0)",
        [recording["id"]],
    )
    response = client.get("/account/export")
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    user = json.loads(archive.read("user.json"))
    assert user["email"] == owner["email"] and "password_hash" not in user
    [exported_camera] = json.loads(archive.read("cameras.json"))
    assert exported_camera["name"] == "Garden" and "password_hash" not in exported_camera
    assert [r["id"] for r in json.loads(archive.read("recordings.json"))] == [recording["id"]]
    assert json.loads(archive.read("recording_labels.json"))[0]["label"] == "animal"
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"argon2" not in everything


def test_pausing_sets_the_state_and_shows_a_banner_until_resumed(client, logged_in, owner, catalog):
    logged_in.post("/account/pause", {"paused": "1"})
    assert get_user(catalog, owner["id"])["state"] == "paused"
    assert b"Your account is paused" in client.get("/dashboard").data
    logged_in.post("/account/pause", {"paused": "0"})
    assert get_user(catalog, owner["id"])["state"] == "active"


def test_deleting_the_account_needs_confirmation(logged_in, owner, catalog):
    response = logged_in.post(
        "/account/delete", {"confirm": "delete", "current_password": owner["password"]}
    )
    assert response.status_code == 400
    assert get_user(catalog, owner["id"])


def test_deleting_the_account_removes_every_file_and_row(
    client, logged_in, owner, make_user, make_camera, store_recording, catalog, settings
):
    bystander = make_camera(make_user("bystander@example.com"))
    kept = store_recording(bystander)
    camera = make_camera(owner)
    recordings = [store_recording(camera), store_recording(camera)]
    jail = settings.storage.uploads_dir / camera["username"] / "instar"
    jail.mkdir(parents=True)
    (jail / "half-uploaded.mp4").write_bytes(b"partial")
    store = ClipStore(settings.storage)
    files = [store.recording_file(r["path"]) for r in recordings]
    files += [store.thumb_file(r["thumb_path"]) for r in recordings]
    assert all(path.exists() for path in files)

    response = logged_in.post(
        "/account/delete", {"confirm": "DELETE", "current_password": owner["password"]}
    )
    assert response.status_code == 302
    assert not any(path.exists() for path in files)
    assert not (settings.storage.uploads_dir / camera["username"]).exists()
    for table, column, value in (
        ("users", "id", owner["id"]),
        ("cameras", "owner_id", owner["id"]),
        ("recordings", "camera_id", camera["id"]),
    ):
        count = catalog.execute(
            f"SELECT count(*) FROM {table} WHERE {column} = ?",  # noqa: S608
            [value],
        ).fetchone()[0]
        assert count == 0, table
    assert store.recording_file(kept["path"]).exists()
    assert client.get("/dashboard").status_code == 302
