"""What ingestd readies on disk before it serves: the spool, the jails, the catalog's schema.

Run once per start, before any worker is forked (`workers.WorkerSupervisor`) or by the single
process itself (`daemon.IngestDaemon`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from core.catalog import open_catalog
from core.settings import Settings
from core.spool import ensure_spool, recover_staging
from core.upload_folders import sweep_empty_folders

logger = logging.getLogger(__name__)


def remove_partial_uploads(uploads_dir: Path) -> int:
    """Delete files left in the jails; returns how many.

    A completed upload leaves its jail at once, so at start every file still there is one that
    a killed ingestd was receiving: partial, never to be handed over.
    """
    removed = 0
    for path in uploads_dir.glob("*/**/*"):
        if path.is_file() and not path.is_symlink():
            path.unlink()
            removed += 1
    return removed


def prepare_storage(settings: Settings) -> None:
    """Finish or undo interrupted handovers, empty the jails (files, then empty folders),
    migrate the catalog."""
    storage = settings.storage
    ensure_spool(storage.spool_dir)
    promoted, removed = recover_staging(storage.spool_dir)
    if promoted or removed:
        logger.info("spool recovery: %d handovers finished, %d removed", promoted, removed)
    storage.uploads_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
    removed = remove_partial_uploads(storage.uploads_dir)
    if removed:
        logger.warning("removed %d partial uploads left by an earlier run", removed)
    # No session is open yet: every empty folder is a leftover (they count against the limit).
    folders = sweep_empty_folders(storage.uploads_dir, older_than=float("inf"))
    if folders:
        logger.info("removed %d empty folders left in the jails", folders)
    # Applies pending migrations (camera_keys) before any login reads the catalog.
    open_catalog(storage.catalog_path).close()
