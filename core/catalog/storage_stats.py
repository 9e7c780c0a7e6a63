"""Measured storage use: per account (recordings and bytes) and of the data disk."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from core.catalog import atomic


def record_storage_usage(
    db: sqlite_utils.Database, at: str, total: int, used: int, free: int
) -> dict[str, int]:
    """Store every account's recordings (from the running totals) and the disk figures;
    returns the totals."""
    with atomic(db):
        db.execute("DELETE FROM storage_usage")
        db.execute(
            "INSERT INTO storage_usage (user_id, recordings, bytes, measured_at)"
            " SELECT u.id, coalesce(t.recordings, 0), coalesce(t.bytes, 0), ?"
            " FROM users u LEFT JOIN account_totals t ON t.user_id = u.id",
            [at],
        )
        # The same count per camera, kept per (UTC) day for the statistics page's chart.
        db.execute(
            "INSERT INTO storage_history (camera_id, day, recordings, bytes)"
            " SELECT c.id, ?, count(r.id), coalesce(sum(r.size_bytes), 0)"
            # WHERE: SQLite's parser needs one before an upsert's ON CONFLICT after a SELECT.
            " FROM cameras c LEFT JOIN recordings r ON r.camera_id = c.id WHERE 1 = 1"
            " GROUP BY c.id ON CONFLICT (camera_id, day)"
            " DO UPDATE SET recordings = excluded.recordings, bytes = excluded.bytes",
            [at[:10]],
        )
        accounts, recordings, recording_bytes = db.execute(
            "SELECT count(*), coalesce(sum(recordings), 0), coalesce(sum(bytes), 0)"
            " FROM storage_usage"
        ).fetchone()
        db.execute(
            "INSERT INTO disk_usage (id, total_bytes, used_bytes, free_bytes, recordings_bytes,"
            " measured_at) VALUES (1, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
            " total_bytes = excluded.total_bytes, used_bytes = excluded.used_bytes,"
            " free_bytes = excluded.free_bytes, recordings_bytes = excluded.recordings_bytes,"
            " measured_at = excluded.measured_at",
            [total, used, free, recording_bytes, at],
        )
    return {"accounts": accounts, "recordings": recordings, "recordings_bytes": recording_bytes}


def storage_usage(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM storage_usage ORDER BY bytes DESC, user_id"))


def disk_usage(db: sqlite_utils.Database) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM disk_usage WHERE id = 1"))
    return rows[0] if rows else None
