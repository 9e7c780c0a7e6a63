"""Keeping the catalog healthy: SQLite's WAL checkpoints and the query planner's statistics.

On PostgreSQL the server checkpoints by itself and autovacuum keeps the statistics; upkeep
only refreshes them once more (ANALYZE) and measures the database.
"""

from __future__ import annotations

import sqlite_utils

from core.catalog import Dialect, dialect_of


def checkpoint_wal(db: sqlite_utils.Database) -> dict[str, int]:
    """Copy the WAL into the database and truncate it; ``busy`` 1 means a reader held it back."""
    if dialect_of(db) is Dialect.POSTGRESQL:
        return {}
    busy, log_frames, checkpointed = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return {"busy": busy, "wal_frames": log_frames, "checkpointed": checkpointed}


def optimize(db: sqlite_utils.Database) -> None:
    if dialect_of(db) is Dialect.POSTGRESQL:
        db.execute("ANALYZE")
    else:
        db.execute("PRAGMA optimize")


def database_bytes(db: sqlite_utils.Database) -> int:
    if dialect_of(db) is Dialect.POSTGRESQL:
        return int(db.execute("SELECT pg_database_size(current_database())").fetchone()[0])
    page_count = db.execute("PRAGMA page_count").fetchone()[0]
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    return int(page_count * page_size)
