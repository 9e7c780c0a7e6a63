"""Storage statistics and database upkeep."""

from __future__ import annotations

import shutil
from datetime import datetime

import sqlite_utils

from core.catalog.storage_stats import record_storage_usage
from core.catalog.totals import check_totals
from core.catalog.upkeep import checkpoint_wal, database_bytes, optimize
from core.catalog.web_sessions import delete_idle_sessions
from core.settings import Settings
from pipeline.scheduler import catalog_time


def storage_statistics(db: sqlite_utils.Database, settings: Settings, now: datetime) -> dict:
    """Measure the data disk and each account's recordings for status and metrics."""
    disk = shutil.disk_usage(settings.storage.data_dir)
    totals = record_storage_usage(db, catalog_time(now), disk.total, disk.used, disk.free)
    return {**totals, "disk_free_bytes": disk.free}


def database_upkeep(db: sqlite_utils.Database, settings: Settings, now: datetime) -> dict:
    """Drop web sessions that ended by disuse, recount the running totals and repair any that
    drifted, let SQLite refresh its query planner's statistics and fold the WAL back into the
    catalog (it only shrinks on a TRUNCATE checkpoint)."""
    idle_sessions = delete_idle_sessions(db, settings.web.session_days, now)
    totals = check_totals(db, repair=True)
    # Statistics before the checkpoint: PRAGMA optimize may write them (ANALYZE), and the WAL
    # should be empty when upkeep ends.
    optimize(db)
    checkpoint = checkpoint_wal(db)
    return {
        **checkpoint,
        "catalog_bytes": database_bytes(db),
        "idle_sessions": idle_sessions,
        "totals_repaired": totals["cameras"] + totals["accounts"],
    }
