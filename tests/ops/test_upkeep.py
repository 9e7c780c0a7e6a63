"""Storage statistics and database upkeep, with a controlled clock and a real catalog file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

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
