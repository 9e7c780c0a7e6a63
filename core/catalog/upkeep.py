"""Keeping the SQLite file healthy: WAL checkpoints and the query planner's statistics."""

from __future__ import annotations

import sqlite_utils


def checkpoint_wal(db: sqlite_utils.Database) -> dict[str, int]:
    """Copy the WAL into the database and truncate it; ``busy`` 1 means a reader held it back."""
    busy, log_frames, checkpointed = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return {"busy": busy, "wal_frames": log_frames, "checkpointed": checkpointed}


def optimize(db: sqlite_utils.Database) -> None:
    db.execute("PRAGMA optimize")


def database_bytes(db: sqlite_utils.Database) -> int:
    page_count = db.execute("PRAGMA page_count").fetchone()[0]
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    return int(page_count * page_size)
