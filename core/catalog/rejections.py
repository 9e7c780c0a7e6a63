"""Metadata-only rows for uploads that were refused: the file is gone, the reason stays."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from core.catalog import in_marks, utcnow

Rejection = dict[str, Any]

# A JPEG snapshot from a camera whose owner switched snapshot keeping off. Like every reason
# listed here, it is an owner's setting at work, not a problem: the admin's list counts these
# per camera instead of showing one row per upload (a camera sends one with every alarm).
SNAPSHOTS_OFF = "snapshots_off"
ROUTINE_REASONS = (SNAPSHOTS_OFF,)


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
    db: sqlite_utils.Database,
    *,
    camera_id: int | None = None,
    limit: int = 1000,
    routine: bool = True,
) -> list[Rejection]:
    """Newest first; ``routine=False`` leaves out the `ROUTINE_REASONS` (see
    `routine_rejection_counts`)."""
    where: list[str] = []
    params: list[object] = []
    if camera_id is not None:
        where.append("camera_id = ?")
        params.append(camera_id)
    if not routine:
        where.append(f"reason NOT IN ({in_marks(ROUTINE_REASONS)})")
        params.extend(ROUTINE_REASONS)
    sql = "SELECT * FROM rejections"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY received_at DESC, id DESC LIMIT ?"
    return list(db.query(sql, [*params, limit]))


def routine_rejection_counts(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """The `ROUTINE_REASONS` rejections as one row per camera and reason: how many, first and
    latest."""
    return list(
        db.query(
            "SELECT camera_id, reason, count(*) AS uploads, min(received_at) AS first_at,"  # noqa: S608 - placeholders only
            " max(received_at) AS latest_at FROM rejections"
            f" WHERE reason IN ({in_marks(ROUTINE_REASONS)})"
            " GROUP BY camera_id, reason ORDER BY max(received_at) DESC",
            list(ROUTINE_REASONS),
        )
    )
