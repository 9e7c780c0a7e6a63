"""Storage statistics and database upkeep."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import sqlite_utils

from core.catalog.storage_stats import record_storage_usage
from core.catalog.upkeep import checkpoint_wal, database_bytes, optimize
from core.catalog.web_sessions import delete_idle_sessions
from core.settings import Settings
from core.upload_folders import sweep_empty_folders
from pipeline.scheduler import catalog_time


def storage_statistics(db: sqlite_utils.Database, settings: Settings, now: datetime) -> dict:
    """Measure the data disk and each account's recordings for status and metrics."""
    disk = shutil.disk_usage(settings.storage.data_dir)
    totals = record_storage_usage(db, catalog_time(now), disk.total, disk.used, disk.free)
    return {**totals, "disk_free_bytes": disk.free}


def database_upkeep(db: sqlite_utils.Database, settings: Settings, now: datetime) -> dict:
    """Drop web sessions that ended by disuse, fold the WAL back into the catalog (it only
    shrinks on a TRUNCATE checkpoint), let SQLite refresh its query planner's statistics, and
    remove the folders cameras left empty in their upload folders (they count against each
    camera's folder limit)."""
    idle_sessions = delete_idle_sessions(db, settings.web.session_days, now)
    checkpoint = checkpoint_wal(db)
    optimize(db)
    unchanged_since = now - timedelta(seconds=settings.ingest.empty_folder_age_s)
    empty_folders = sweep_empty_folders(settings.storage.uploads_dir, unchanged_since.timestamp())
    return {
        **checkpoint,
        "catalog_bytes": database_bytes(db),
        "idle_sessions": idle_sessions,
        "empty_folders": empty_folders,
    }
