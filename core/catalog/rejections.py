"""Metadata-only rows for uploads that were refused: the file is gone, the reason stays."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from core.catalog import utcnow

Rejection = dict[str, Any]


def insert_rejection(
    db: sqlite_utils.Database, job: dict[str, Any], reason: str, detail: str | None
) -> None:
    """Record a rejection inside the caller's transaction (a repeat for the job is a no-op)."""
    db.execute(
        "INSERT OR IGNORE INTO rejections (job_id, camera_id, reason, detail, protocol,"
        " original_name, size_bytes, received_at, rejected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            job["id"],
            job.get("camera_id"),
            reason,
            detail,
            job.get("protocol"),
            job.get("original_name"),
            job.get("size_bytes"),
            job["received_at"],
            utcnow(),
        ],
    )


def list_rejections(
    db: sqlite_utils.Database, *, camera_id: int | None = None, limit: int = 1000
) -> list[Rejection]:
    if camera_id is None:
        return list(
            db.query("SELECT * FROM rejections ORDER BY received_at DESC, id DESC LIMIT ?", [limit])
        )
    return list(
        db.query(
            "SELECT * FROM rejections WHERE camera_id = ? ORDER BY received_at DESC, id DESC"
            " LIMIT ?",
            [camera_id, limit],
        )
    )
