"""Inactive accounts: warned by e-mail, then deleted with every file and row after the respite."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from core import spool
from core.catalog import atomic
from core.catalog.accounts import set_account_state
from core.catalog.states import AccountState, JobState
from core.mailer import read_outbox
from pipeline.scheduler import catalog_time
from pipeline.scheduler.inactive_accounts import warn_and_delete_inactive_accounts
from tests.ops.conftest import NOW

pytestmark = pytest.mark.both_engines


def _set_user(catalog, user_id: int, **fields) -> None:
    assignments = ", ".join(f"{name} = ?" for name in fields)
    with atomic(catalog):
        catalog.execute(
            f"UPDATE users SET {assignments} WHERE id = ?",  # noqa: S608 - test's own names
            [*fields.values(), user_id],
        )


def _user_ids(catalog) -> set[int]:
    return {row["id"] for row in catalog.query("SELECT id FROM users")}


def test_inactive_account_is_warned_then_deleted_with_every_file_and_row(
    catalog, settings, make_user, make_camera, store_recording, caplog
):
    caplog.set_level(logging.DEBUG)
    settings.schedule.inactive_warn_days = 365
    settings.schedule.inactive_delete_days = 30
    sleeper = make_user("sleeper@example.com")
    _set_user(
        catalog,
        sleeper["id"],
        created_at=catalog_time(NOW - timedelta(days=800)),
        last_login_at=catalog_time(NOW - timedelta(days=400)),
    )
    camera = make_camera(owner=sleeper)
    recording = store_recording(camera, timedelta(days=500))
    jail = settings.storage.uploads_dir / camera["username"]
    jail.mkdir(parents=True)
    (jail / "partial.mp4").write_bytes(b"half")
    awake = make_user("awake@example.com")
    _set_user(catalog, awake["id"], last_login_at=catalog_time(NOW - timedelta(days=2)))
    admin = make_user("admin@example.com", is_admin=True)
    _set_user(catalog, admin["id"], created_at=catalog_time(NOW - timedelta(days=900)))

    first = warn_and_delete_inactive_accounts(catalog, settings, NOW)

    assert first == {"warned": 1, "deleted": 0, "reactivated": 0, "mail_failed": 0}
    mails = read_outbox(settings.storage.outbox_dir)
    assert [mail["To"] for mail in mails] == ["sleeper@example.com"]
    assert "2026-12-25" in mails[0].get_content()  # 30 days of respite from NOW
    assert "sleeper@example.com" not in caplog.text  # logs carry ids only
    # Idempotent: a second run the same day neither mails again nor deletes.
    assert warn_and_delete_inactive_accounts(catalog, settings, NOW)["warned"] == 0
    assert len(read_outbox(settings.storage.outbox_dir)) == 1
    # One day before the respite ends the account is still there.
    later = NOW + timedelta(days=29)
    assert warn_and_delete_inactive_accounts(catalog, settings, later)["deleted"] == 0

    final = warn_and_delete_inactive_accounts(catalog, settings, NOW + timedelta(days=30))

    assert final["deleted"] == 1
    assert _user_ids(catalog) == {awake["id"], admin["id"]}
    for table in ("cameras", "recordings", "jobs"):
        assert catalog.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0  # noqa: S608
    assert not recording["clip"].exists() and not recording["thumb"].exists()
    assert not jail.exists()


def test_account_used_after_the_warning_is_kept_and_its_warning_cleared(
    catalog, settings, make_user
):
    user = make_user()
    _set_user(catalog, user["id"], created_at=catalog_time(NOW - timedelta(days=500)))
    assert warn_and_delete_inactive_accounts(catalog, settings, NOW)["warned"] == 1
    _set_user(catalog, user["id"], last_login_at=catalog_time(NOW + timedelta(days=3)))

    result = warn_and_delete_inactive_accounts(catalog, settings, NOW + timedelta(days=31))

    assert result["deleted"] == 0 and result["reactivated"] == 1
    assert _user_ids(catalog) == {user["id"]}
    warned = catalog.execute(
        "SELECT inactivity_warned_at FROM users WHERE id = ?", [user["id"]]
    ).fetchone()[0]
    assert warned is None


def test_camera_uploads_count_as_activity(
    catalog, settings, make_user, make_camera, store_recording
):
    user = make_user()
    _set_user(catalog, user["id"], created_at=catalog_time(NOW - timedelta(days=900)))
    store_recording(make_camera(owner=user), timedelta(days=3))
    assert warn_and_delete_inactive_accounts(catalog, settings, NOW)["warned"] == 0


def test_failed_warning_mail_does_not_start_the_respite(catalog, settings, make_user):
    user = make_user()
    _set_user(catalog, user["id"], created_at=catalog_time(NOW - timedelta(days=500)))
    settings.mail.smtp_host = "127.0.0.1"
    settings.mail.smtp_port = 9  # discard port: nobody listens, the connection is refused
    result = warn_and_delete_inactive_accounts(catalog, settings, NOW)
    assert result["warned"] == 0 and result["mail_failed"] == 1
    assert catalog.execute("SELECT inactivity_warned_at FROM users").fetchone()[0] is None


def test_spooled_uploads_of_a_deleted_account_are_removed(
    catalog, settings, make_user, make_camera, tmp_path
):
    from core.catalog.jobs import register_job

    user = make_user()
    _set_user(catalog, user["id"], created_at=catalog_time(NOW - timedelta(days=500)))
    camera = make_camera(owner=user)
    spool.ensure_spool(settings.storage.spool_dir)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"x")
    meta = spool.UploadMeta(
        upload_id="pending01",
        camera_id=camera["id"],
        username=camera["username"],
        protocol="ftp",
        remote_addr="127.0.0.0/24",
        original_name="clip.mp4",
        original_path="clip.mp4",
        size_bytes=1,
        started_at=catalog_time(NOW - timedelta(days=400)),
        completed_at=catalog_time(NOW - timedelta(days=400)),
    )
    folder = spool.spool_completed_upload(settings.storage.spool_dir, clip, meta)
    register_job(
        catalog,
        {"upload_id": "pending01", "camera_id": camera["id"], "completed_at": meta.completed_at},
    )
    warn_and_delete_inactive_accounts(catalog, settings, NOW)
    assert (
        warn_and_delete_inactive_accounts(catalog, settings, NOW + timedelta(days=31))["deleted"]
        == 1
    )
    assert not folder.exists()


def test_clips_held_in_quarantine_of_a_deleted_account_are_removed(
    catalog, settings, clips, make_user, make_camera
):
    from core.catalog.jobs import advance_job, register_job
    from core.catalog.quarantine import insert_quarantined

    user = make_user()
    _set_user(catalog, user["id"], created_at=catalog_time(NOW - timedelta(days=500)))
    camera = make_camera(owner=user)
    job = register_job(
        catalog,
        {
            "upload_id": "held01",
            "camera_id": camera["id"],
            "completed_at": catalog_time(NOW - timedelta(days=400)),
        },
    )
    relpath = clips.quarantine_relpath(camera["id"], "held01", "mp4")
    held = clips.quarantine_file(relpath)
    held.parent.mkdir(parents=True)
    held.write_bytes(b"clip")
    with atomic(catalog):
        insert_quarantined(
            catalog,
            job,
            relpath,
            ["gop_frames"],
            catalog_time(NOW),
            catalog_time(NOW + timedelta(days=3650)),
        )
        advance_job(catalog, "held01", JobState.QUARANTINED)
    warn_and_delete_inactive_accounts(catalog, settings, NOW)
    assert (
        warn_and_delete_inactive_accounts(catalog, settings, NOW + timedelta(days=31))["deleted"]
        == 1
    )
    assert not held.exists()


def test_paused_accounts_are_neither_warned_nor_deleted(
    catalog, settings, make_user, make_camera, store_recording
):
    """A paused account keeps everything, however long nobody uses it (the clock is ours)."""
    settings.schedule.inactive_warn_days = 365
    settings.schedule.inactive_delete_days = 30
    paused = make_user("paused@example.com")
    _set_user(catalog, paused["id"], created_at=catalog_time(NOW - timedelta(days=900)))
    recording = store_recording(make_camera(owner=paused), timedelta(days=800))
    set_account_state(catalog, paused["id"], AccountState.PAUSED)
    # Paused after a warning: the respite does not run out while the account is paused.
    warned_then_paused = make_user("warned@example.com")
    _set_user(
        catalog,
        warned_then_paused["id"],
        created_at=catalog_time(NOW - timedelta(days=900)),
        inactivity_warned_at=catalog_time(NOW - timedelta(days=60)),
    )
    set_account_state(catalog, warned_then_paused["id"], AccountState.PAUSED)

    for day in (0, 31, 400, 1000):
        result = warn_and_delete_inactive_accounts(catalog, settings, NOW + timedelta(days=day))
        assert result["warned"] == 0 and result["deleted"] == 0

    assert _user_ids(catalog) == {paused["id"], warned_then_paused["id"]}
    assert read_outbox(settings.storage.outbox_dir) == []
    assert recording["clip"].exists()
    warned = catalog.execute(
        "SELECT inactivity_warned_at FROM users WHERE id = ?", [paused["id"]]
    ).fetchone()[0]
    assert warned is None
