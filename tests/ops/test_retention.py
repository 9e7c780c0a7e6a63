"""Retention by days (per camera) and by quota (oldest first, per account)."""

from __future__ import annotations

from datetime import timedelta

from core.catalog import atomic
from core.catalog.accounts import set_account_state
from core.catalog.retention import set_camera_retention
from core.catalog.states import AccountState
from pipeline.scheduler.retention import retention_by_days, retention_by_quota, select_over_quota
from tests.ops.conftest import NOW, recording_ids


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
