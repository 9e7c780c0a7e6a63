"""Issue 15, item 1: a clip is only ever filed under the camera login that uploaded it."""

from __future__ import annotations

import dataclasses
import json

import pytest

from core import spool
from core.catalog import open_catalog
from core.catalog.camera_edits import delete_camera_rows
from core.catalog.recordings import list_recordings
from core.catalog.rejections import list_rejections
from core.catalog.states import JobState
from core.clipstore import ClipStore
from core.removal import remove_account, remove_camera
from pipeline.processor import ClipProcessor
from tests.conftest import open_catalog_as_of

pytestmark = pytest.mark.both_engines


def process_spool(settings, catalog) -> list[str | None]:
    processor = ClipProcessor(settings, catalog, "test:0")
    return [processor.process(folder) for folder in spool.list_incoming(settings.storage.spool_dir)]


def test_clip_of_a_deleted_camera_never_appears_under_another_customers_new_camera(
    settings, catalog, make_user, make_camera, camera_clip, spool_upload
):
    victim = make_camera()
    spool_upload(camera_clip, victim)  # waits: daemon down, backlog or paused account
    remove_camera(catalog, ClipStore(settings.storage), settings.storage, victim)
    other = make_camera(owner=make_user())

    process_spool(settings, catalog)

    assert other["id"] != victim["id"]
    assert list_recordings(catalog) == []
    assert spool.list_incoming(settings.storage.spool_dir) == []


def test_deleting_an_account_removes_its_uploads_waiting_in_the_spool(
    settings, catalog, make_user, make_camera, camera_clip, spool_upload
):
    owner = make_user()
    spool_upload(camera_clip, make_camera(owner=owner))
    kept = spool_upload(camera_clip, make_camera())

    remove_account(catalog, ClipStore(settings.storage), settings.storage, owner["id"])

    assert spool.list_incoming(settings.storage.spool_dir) == [kept]


def test_upload_spooled_after_its_camera_was_deleted_is_refused_and_removed(
    settings, catalog, make_user, make_camera, camera_clip, spool_upload, caplog
):
    victim = make_camera()
    # The handover landed after the deletion's spool scan: only the rows are gone.
    folder = spool_upload(camera_clip, victim, name="A20261125_130501_front-door.mp4")
    delete_camera_rows(catalog, victim["id"])
    make_camera(owner=make_user())

    state = ClipProcessor(settings, catalog, "test:0").process(folder)

    assert state == JobState.REJECTED
    assert not folder.exists()
    assert list_recordings(catalog) == []
    # Nobody is left to see a row about it; a row would only keep its name around.
    assert list_rejections(catalog) == []
    assert list(catalog.query("SELECT id FROM jobs")) == []
    assert "reason=camera_gone" in caplog.text
    assert "front-door" not in caplog.text


def test_upload_whose_login_is_not_the_camera_under_its_id_is_refused(
    settings, catalog, make_camera, camera_clip, spool_upload
):
    camera = make_camera()
    folder = spool_upload(camera_clip, camera)
    # An upload spooled before migration 10 may carry an id that was given out again since.
    meta_file = folder / spool.META_NAME
    meta = dataclasses.asdict(spool.read_upload(folder))
    meta_file.write_text(json.dumps({**meta, "username": "camdeleted"}))

    assert ClipProcessor(settings, catalog, "test:0").process(folder) == JobState.REJECTED
    assert not folder.exists()
    assert list_recordings(catalog) == []


def test_camera_and_user_ids_are_never_given_out_again(catalog, make_user, make_camera):
    camera = make_camera()
    owner = camera["owner"]
    catalog.execute("DELETE FROM users WHERE id = ?", [owner["id"]])

    assert make_user()["id"] > owner["id"]
    assert make_camera()["id"] > camera["id"]


def test_upgrade_to_never_reused_ids_keeps_every_row_and_id(tmp_path):
    path = tmp_path / "catalog.db"
    old = open_catalog_as_of(path, 9)
    for user_id in (1, 2, 3):
        old.execute(
            "INSERT INTO users (id, email, password_hash, created_at, mail_optout_key)"
            " VALUES (?, ?, 'hash', '2026-01-01', ?)",
            [user_id, f"u{user_id}@example.com", f"optout{user_id}"],
        )
    for camera_id, owner_id in ((1, 1), (2, 2), (3, 2)):
        old.execute(
            "INSERT INTO cameras (id, owner_id, name, model, username, password_hash, created_at)"
            " VALUES (?, ?, 'Cam', 'IN-8015', ?, 'hash', '2026-01-01')",
            [camera_id, owner_id, f"cam{camera_id}"],
        )
    old.execute(
        "INSERT INTO jobs (id, camera_id, state, received_at, updated_at)"
        " VALUES ('job2', 2, 'received', '2026-01-01', '2026-01-01')"
    )
    old.execute(
        "INSERT INTO api_tokens (user_id, name, token_hash, hint, scope, created_at)"
        " VALUES (2, 'home', 'tokenhash', 'ab', 'read', '2026-01-01')"
    )
    users_before = list(old.query("SELECT * FROM users ORDER BY id"))
    cameras_before = list(old.query("SELECT * FROM cameras ORDER BY id"))
    old.close()

    db = open_catalog(path)

    # Later migrations may add columns; every column that was there keeps its value.
    def as_before(rows: list[dict], before: list[dict]) -> list[dict]:
        return [{column: row[column] for column in before[0]} for row in rows]

    users_after = list(db.query("SELECT * FROM users ORDER BY id"))
    cameras_after = list(db.query("SELECT * FROM cameras ORDER BY id"))
    assert as_before(users_after, users_before) == users_before
    assert as_before(cameras_after, cameras_before) == cameras_before
    assert [row["id"] for row in db.query("SELECT id FROM jobs")] == ["job2"]
    assert [row["user_id"] for row in db.query("SELECT user_id FROM api_tokens")] == [2]
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    # Indexes came along, and cascades still work on the rebuilt tables.
    assert "idx_cameras_owner" in {index.name for index in db["cameras"].indexes}
    db.execute("DELETE FROM cameras WHERE id = 3")
    db.execute("DELETE FROM users WHERE id = 2")
    assert list(db.query("SELECT id FROM jobs")) == []
    assert list(db.query("SELECT id FROM api_tokens")) == []
    db.execute(
        "INSERT INTO cameras (owner_id, name, model, username, password_hash, created_at)"
        " VALUES (1, 'New', 'IN-8015', 'camnew', 'hash', '2026-01-02')"
    )
    assert db.execute("SELECT max(id) FROM cameras").fetchone()[0] == 4
