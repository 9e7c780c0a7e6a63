"""Storage statistics and database upkeep, with a controlled clock and a real catalog file."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.catalog.scheduled_runs import record_run
from core.catalog.storage_stats import disk_usage, storage_usage
from pipeline.scheduler import catalog_time
from pipeline.scheduler.upkeep import database_upkeep, storage_statistics
from tests.ops.conftest import NOW


def test_storage_statistics_measures_each_account_and_the_disk(
    catalog, settings, make_user, make_camera, store_recording
):
    busy, idle = make_user(), make_user()
    camera = make_camera(owner=busy)
    store_recording(camera, timedelta(days=1), size=3000)
    store_recording(make_camera(owner=busy), timedelta(days=2), size=5000)

    summary = storage_statistics(catalog, settings, NOW)

    assert summary["accounts"] == 2 and summary["recordings"] == 2
    assert summary["recordings_bytes"] == 8000
    usage = {row["user_id"]: (row["recordings"], row["bytes"]) for row in storage_usage(catalog)}
    assert usage == {busy["id"]: (2, 8000), idle["id"]: (0, 0)}
    disk = disk_usage(catalog)
    assert disk["measured_at"] == catalog_time(NOW)
    assert disk["recordings_bytes"] == 8000 and disk["free_bytes"] > 0
    # Idempotent: a second measurement replaces the first.
    storage_statistics(catalog, settings, NOW + timedelta(minutes=15))
    assert len(storage_usage(catalog)) == 2
    assert disk_usage(catalog)["measured_at"] == catalog_time(NOW + timedelta(minutes=15))


def test_storage_statistics_name_a_media_folders_free_space_elsewhere(
    catalog, settings, small_file_system
):
    settings.storage.media = str(small_file_system.path)

    summary = storage_statistics(catalog, settings, NOW)

    assert summary["media_free_bytes"] == 1024 * 1024
    assert summary["disk_free_bytes"] == disk_usage(catalog)["free_bytes"] > 1024 * 1024


@pytest.mark.sqlite_only(reason="the write-ahead log it folds back is the SQLite file's own")
def test_database_upkeep_truncates_the_wal(catalog, settings):
    for number in range(50):
        record_run(catalog, f"job{number}", catalog_time(NOW), "x" * 500)
    wal = Path(str(settings.storage.catalog_path) + "-wal")
    assert wal.stat().st_size > 0

    summary = database_upkeep(catalog, settings, NOW)

    assert summary["busy"] == 0
    assert wal.stat().st_size == 0
    assert summary["catalog_bytes"] > 0
    assert database_upkeep(catalog, settings, NOW)["busy"] == 0


def test_database_upkeep_sweeps_old_empty_folders_from_the_jails(catalog, settings):
    uploads = settings.storage.uploads_dir
    jail = uploads / "camgarden"
    (jail / "old" / "older").mkdir(parents=True)
    (jail / "fresh").mkdir(parents=True)
    (jail / "filled").mkdir(parents=True)
    (jail / "filled" / "A_waiting.mp4.part").write_bytes(b"upload in progress")
    (uploads / "camempty").mkdir()
    outside = settings.storage.data_dir / "outside"
    outside.mkdir()
    (jail / "link").symlink_to(outside)
    an_hour_ago = time.time() - 3600
    for folder in (jail / "old" / "older", jail / "old", jail / "filled", uploads / "camempty"):
        os.utime(folder, (an_hour_ago, an_hour_ago))

    summary = database_upkeep(catalog, settings, datetime.now(UTC))

    assert summary["empty_folders"] == 2
    assert not (jail / "old").exists()
    # A folder changed a moment ago (a camera's next upload goes there), one that holds a file,
    # a camera's own folder and whatever a symlink points at all stay.
    assert (jail / "fresh").is_dir()
    assert (jail / "filled" / "A_waiting.mp4.part").is_file()
    assert (uploads / "camempty").is_dir() and jail.is_dir()
    assert outside.is_dir()
