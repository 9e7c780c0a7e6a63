"""Storage statistics and database upkeep."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlite_utils

from core.catalog.storage_stats import record_storage_usage
from core.catalog.totals import check_totals
from core.catalog.upkeep import checkpoint_wal, database_bytes, optimize
from core.catalog.web_sessions import delete_idle_sessions
from core.clipstore import ClipStore
from core.media_store import MediaStore
from core.removal import remove_orphan_media
from core.settings import Settings
from core.storage_space import storage_spaces
from core.upload_folders import sweep_empty_folders
from pipeline.scheduler import catalog_time

# Longer than any upload-to-commit can take (an upload of a clip is seconds): an object younger
# than this may still get its row.
MEDIA_ORPHAN_GRACE_S = 6 * 3600


def storage_statistics(db: sqlite_utils.Database, settings: Settings, now: datetime) -> dict:
    """Measure the disks and each account's recordings for status and metrics. The catalog
    keeps the data folder's figures (``disk_usage``, one row); the run's summary also names a
    media folder's free space where it is another file system."""
    data, *elsewhere = storage_spaces(settings.storage)
    if data.total_bytes is None or data.used_bytes is None or data.free_bytes is None:
        raise OSError(f"the data folder {data.location} {data.note}")  # the run's error
    totals = record_storage_usage(
        db, catalog_time(now), data.total_bytes, data.used_bytes, data.free_bytes
    )
    media = {
        f"{space.area}_free_bytes": space.free_bytes
        for space in elsewhere
        if space.free_bytes is not None
    }
    return {**totals, "disk_free_bytes": data.free_bytes, **media}


def database_upkeep(db: sqlite_utils.Database, settings: Settings, now: datetime) -> dict:
    """Drop web sessions that ended by disuse, recount the running totals (the activity slots
    and label counts too) and repair any that drifted, remove orphaned media from a shared
    store and what copies a dead node left half-done (partial files, unfinished S3 uploads),
    remove the folders cameras left empty in their upload folders (they count against
    each camera's folder limit), let SQLite refresh its query planner's statistics and fold
    the WAL back into the catalog (it only shrinks on a TRUNCATE checkpoint)."""
    idle_sessions = delete_idle_sessions(db, settings.web.session_days, now)
    totals = check_totals(db, repair=True)
    clips = ClipStore(settings.storage)
    orphans = media_orphans(db, settings, clips.media, now)
    # Node-local folders (working copies beside a bucket, the old quarantine) are this node's;
    # another node's are swept on a day that node runs upkeep.
    begun_before = now - timedelta(seconds=settings.schedule.partial_file_age_s)
    unfinished = clips.remove_unfinished(begun_before.timestamp())
    # Statistics before the checkpoint: PRAGMA optimize may write them (ANALYZE), and the WAL
    # should be empty when upkeep ends.
    optimize(db)
    unchanged_since = now - timedelta(seconds=settings.ingest.empty_folder_age_s)
    empty_folders = sweep_empty_folders(settings.storage.uploads_dir, unchanged_since.timestamp())
    checkpoint = checkpoint_wal(db)
    return {
        **checkpoint,
        "catalog_bytes": database_bytes(db),
        "idle_sessions": idle_sessions,
        "totals_repaired": totals["cameras"] + totals["accounts"],
        "activity_repaired": totals["activity"] + totals["labels"],
        "media_orphans": orphans,
        **unfinished,
        "empty_folders": empty_folders,
    }


def media_orphans(
    db: sqlite_utils.Database, settings: Settings, store: MediaStore, now: datetime
) -> int:
    """On a shared media store (``[storage] media`` set): remove what a node left that died
    after storing a clip and before committing its row (its spool, which would have retried,
    died with it). The data folder alone needs none: the node's own retry finds its files."""
    if not settings.storage.media:
        return 0
    return remove_orphan_media(db, store, now.timestamp(), MEDIA_ORPHAN_GRACE_S)
