"""Retention by days (per camera) and by quota (oldest first, per account)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.catalog import atomic
from core.catalog.accounts import set_account_state
from core.catalog.jobs import advance_job, register_job
from core.catalog.rejections import insert_rejection
from core.catalog.retention import set_camera_retention
from core.catalog.states import AccountState, JobState
from core.clipstore import ClipStore
from core.removal import remove_recordings
from pipeline.scheduler import catalog_time
from pipeline.scheduler.retention import (
    expire_upload_records,
    retention_by_days,
    retention_by_quota,
    select_over_quota,
)
from tests.ops.conftest import NOW, recording_ids

pytestmark = pytest.mark.both_engines


def test_select_over_quota_takes_oldest_until_the_account_fits():
    oldest_first = [{"id": n, "size_bytes": 100} for n in range(1, 6)]
    assert [r["id"] for r in select_over_quota(oldest_first, 500, 500)] == []
    assert [r["id"] for r in select_over_quota(oldest_first, 500, 399)] == [1, 2]
    assert [r["id"] for r in select_over_quota(oldest_first, 500, 0)] == [1, 2, 3, 4, 5]


def test_retention_by_days_deletes_exactly_the_expired_recordings_and_their_files(
    catalog, settings, make_camera, store_recording
):
    settings.schedule.retention_days = 30
    default_camera = make_camera()
    short_camera = make_camera(owner=default_camera["owner"])
    forever_camera = make_camera()
    set_camera_retention(catalog, short_camera["id"], 7)
    set_camera_retention(catalog, forever_camera["id"], 0)
    old = store_recording(default_camera, timedelta(days=31))
    recent = store_recording(default_camera, timedelta(days=29, hours=23))
    week_old = store_recording(short_camera, timedelta(days=8))
    fresh = store_recording(short_camera, timedelta(days=6))
    ancient = store_recording(forever_camera, timedelta(days=900))

    summary = retention_by_days(catalog, settings, NOW)

    assert summary == {"cameras": 2, "deleted": 2, "freed_bytes": 2000}
    assert recording_ids(catalog) == {recent["id"], fresh["id"], ancient["id"]}
    for gone in (old, week_old):
        assert not gone["clip"].exists() and not gone["thumb"].exists()
    for kept in (recent, fresh, ancient):
        assert kept["clip"].exists() and kept["thumb"].exists()


def test_retention_by_days_is_idempotent(catalog, settings, make_camera, store_recording):
    camera = make_camera()
    store_recording(camera, timedelta(days=45))
    kept = store_recording(camera, timedelta(days=1))
    assert retention_by_days(catalog, settings, NOW)["deleted"] == 1
    assert retention_by_days(catalog, settings, NOW)["deleted"] == 0
    assert recording_ids(catalog) == {kept["id"]}


def test_retention_by_days_finishes_a_removal_cut_off_after_the_files(
    catalog, settings, clips, make_camera, store_recording
):
    camera = make_camera()
    expired = store_recording(camera, timedelta(days=45))
    # A crash between file and row removal leaves a row whose files are gone.
    row = next(catalog.query("SELECT * FROM recordings WHERE id = ?", [expired["id"]]))
    clips.delete_recording_files(row)
    assert retention_by_days(catalog, settings, NOW)["deleted"] == 1
    assert recording_ids(catalog) == set()


def test_retention_by_quota_deletes_the_oldest_recordings_of_the_account_over_quota(
    catalog, settings, make_user, make_camera, store_recording
):
    mb = 1024 * 1024
    settings.storage.default_quota_mb = 3
    owner = make_user()
    garden, door = make_camera(owner=owner), make_camera(owner=owner)
    other = make_camera()  # another account, under its quota: untouched
    oldest = store_recording(garden, timedelta(days=5), size=mb)
    older = store_recording(door, timedelta(days=4), size=mb)
    newer = store_recording(garden, timedelta(days=3), size=mb)
    newest = store_recording(door, timedelta(days=2), size=mb)
    newest_big = store_recording(garden, timedelta(days=1), size=mb // 2)
    foreign_old = store_recording(other, timedelta(days=20), size=mb)

    summary = retention_by_quota(catalog, settings, NOW)

    # 4.5 MB against 3 MB: the two oldest go, 2.5 MB stay.
    assert summary == {"accounts_over_quota": 1, "deleted": 2, "freed_bytes": 2 * mb}
    assert recording_ids(catalog) == {
        newer["id"],
        newest["id"],
        newest_big["id"],
        foreign_old["id"],
    }
    assert not oldest["clip"].exists() and not older["clip"].exists()
    assert newer["clip"].exists() and foreign_old["clip"].exists()
    assert retention_by_quota(catalog, settings, NOW)["deleted"] == 0


def test_retention_by_quota_uses_the_accounts_own_quota(
    catalog, settings, make_user, make_camera, store_recording
):
    settings.storage.default_quota_mb = 100
    owner = make_user()
    with atomic(catalog):
        catalog.execute("UPDATE users SET quota_mb = 1 WHERE id = ?", [owner["id"]])
    camera = make_camera(owner=owner)
    first = store_recording(camera, timedelta(days=2), size=700_000)
    second = store_recording(camera, timedelta(days=1), size=700_000)
    assert retention_by_quota(catalog, settings, NOW)["deleted"] == 1
    assert recording_ids(catalog) == {second["id"]}
    assert not first["clip"].exists()


def test_retention_leaves_paused_accounts_alone(
    catalog, settings, make_user, make_camera, store_recording
):
    """Pausing blocks processing and keeps everything: neither expiry nor quota removes a clip
    while the account is paused; once resumed, retention applies again."""
    settings.schedule.retention_days = 30
    settings.storage.default_quota_mb = 1
    paused, active = make_user(), make_user()
    set_account_state(catalog, paused["id"], AccountState.PAUSED)
    kept_camera, other_camera = make_camera(owner=paused), make_camera(owner=active)
    old = store_recording(kept_camera, timedelta(days=90), size=700_000)
    newer = store_recording(kept_camera, timedelta(days=2), size=700_000)
    others_old = store_recording(other_camera, timedelta(days=90))

    assert retention_by_days(catalog, settings, NOW)["deleted"] == 1
    assert retention_by_quota(catalog, settings, NOW)["deleted"] == 0  # 1.4 MB over 1 MB
    assert recording_ids(catalog) == {old["id"], newer["id"]}
    assert old["clip"].exists() and newer["clip"].exists()
    assert not others_old["clip"].exists()

    set_account_state(catalog, paused["id"], AccountState.ACTIVE)
    assert retention_by_days(catalog, settings, NOW)["deleted"] == 1
    assert recording_ids(catalog) == {newer["id"]}


def refused_upload(catalog, camera_id: int | None, job_id: str, age: timedelta) -> None:
    """A refused upload as the pipeline leaves it: a rejected job row and a rejection row."""
    at = catalog_time(NOW - age)
    job = register_job(
        catalog,
        {
            "upload_id": job_id,
            "camera_id": camera_id,
            "completed_at": at,
            "original_name": "A20261125_front_door.mp4",
            "remote_addr": "192.0.2.0/24",
            "size_bytes": 123,
        },
    )
    with atomic(catalog):
        insert_rejection(catalog, job, "not_video", "bytes are not a video")
        advance_job(catalog, job_id, JobState.REJECTED, reason="not_video")
        catalog.execute("UPDATE jobs SET updated_at = ? WHERE id = ?", [at, job_id])
        catalog.execute("UPDATE rejections SET rejected_at = ? WHERE job_id = ?", [at, job_id])


def job_ids(catalog) -> set[str]:
    return {row[0] for row in catalog.execute("SELECT id FROM jobs")}


def test_deleting_a_recording_deletes_the_job_row_with_its_upload_details(
    catalog, settings, make_camera, store_recording
):
    camera = make_camera()
    gone = store_recording(camera, timedelta(days=1))
    kept = store_recording(camera, timedelta(days=1))
    rows = list(catalog.query("SELECT * FROM recordings WHERE id = ?", [gone["id"]]))
    before = job_ids(catalog)

    remove_recordings(catalog, ClipStore(settings.storage), rows)

    assert recording_ids(catalog) == {kept["id"]}
    assert len(before) == 2 and job_ids(catalog) == before - {rows[0]["job_id"]}


def test_records_of_refused_uploads_expire_and_orphan_rows_go_at_once(
    catalog, settings, make_camera, store_recording
):
    settings.schedule.upload_records_days = 30
    camera = make_camera()
    refused_upload(catalog, camera["id"], "old-refusal", timedelta(days=31))
    refused_upload(catalog, camera["id"], "recent-refusal", timedelta(days=29))
    # Rows that nothing shows any more: no camera (left by older versions), or an indexed job
    # whose recording was deleted before recordings took their job rows along.
    refused_upload(catalog, None, "no-camera", timedelta(hours=1))
    register_job(catalog, {"upload_id": "lost-recording", "camera_id": camera["id"]})
    advance_job(catalog, "lost-recording", JobState.INDEXED)
    indexed = store_recording(camera, timedelta(days=90))
    indexed_job = catalog.execute(
        "SELECT job_id FROM recordings WHERE id = ?", [indexed["id"]]
    ).fetchone()[0]
    advance_job(catalog, indexed_job, JobState.INDEXED, recording_id=indexed["id"])

    summary = expire_upload_records(catalog, settings, NOW)

    assert summary == {"rejections": 2, "refused_jobs": 1, "orphan_jobs": 2}
    assert job_ids(catalog) == {"recent-refusal", indexed_job}
    assert [row[0] for row in catalog.execute("SELECT job_id FROM rejections")] == [
        "recent-refusal"
    ]
    assert expire_upload_records(catalog, settings, NOW) == {
        "rejections": 0,
        "refused_jobs": 0,
        "orphan_jobs": 0,
    }
