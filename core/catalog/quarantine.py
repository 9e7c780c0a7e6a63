"""Clips held for their owner: they failed only the fingerprint.

That is stage 5 in docs/cameras.md, Camera signature.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from core.catalog import NotFound

QuarantinedClip = dict[str, Any]

_SELECT = (
    "SELECT q.*, j.original_name, j.received_at, j.size_bytes, j.detail, c.owner_id"
    " FROM quarantined_clips q JOIN jobs j ON j.id = q.job_id"
    " JOIN cameras c ON c.id = q.camera_id"
)


def insert_quarantined(
    db: sqlite_utils.Database,
    job: dict[str, Any],
    path: str,
    mismatches: list[str],
    quarantined_at: str,
    expires_at: str,
) -> None:
    """Inside the caller's transaction; a repeat for the job is a no-op."""
    db.execute(
        "INSERT OR IGNORE INTO quarantined_clips (job_id, camera_id, path, mismatches,"
        " quarantined_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        [job["id"], job["camera_id"], path, json.dumps(mismatches), quarantined_at, expires_at],
    )


def get_quarantined(
    db: sqlite_utils.Database, quarantine_id: int, *, owner_id: int | None = None
) -> QuarantinedClip:
    """The row; with ``owner_id``, someone else's clip is `NotFound` too (as in the web UI)."""
    rows = list(db.query(_SELECT + " WHERE q.id = ?", [quarantine_id]))
    if not rows or (owner_id is not None and rows[0]["owner_id"] != owner_id):
        raise NotFound(f"quarantined clip {quarantine_id}")
    return _decoded(rows[0])


def get_quarantined_by_job(db: sqlite_utils.Database, job_id: str) -> QuarantinedClip | None:
    rows = list(db.query(_SELECT + " WHERE q.job_id = ?", [job_id]))
    return _decoded(rows[0]) if rows else None


def list_quarantined(
    db: sqlite_utils.Database, *, camera_id: int | None = None, owner_id: int | None = None
) -> list[QuarantinedClip]:
    where, params = [], []
    if camera_id is not None:
        where.append("q.camera_id = ?")
        params.append(camera_id)
    if owner_id is not None:
        where.append("c.owner_id = ?")
        params.append(owner_id)
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY q.id"
    return [_decoded(row) for row in db.query(sql, params)]


def quarantined_due(db: sqlite_utils.Database, now: str) -> list[QuarantinedClip]:
    return [
        _decoded(row)
        for row in db.query(_SELECT + " WHERE q.expires_at <= ? ORDER BY q.expires_at", [now])
    ]


def delete_quarantined(db: sqlite_utils.Database, quarantine_id: int) -> None:
    """Inside the caller's transaction, together with the job's new state."""
    db.execute("DELETE FROM quarantined_clips WHERE id = ?", [quarantine_id])


def _decoded(row: dict[str, Any]) -> QuarantinedClip:
    return {**row, "mismatches": json.loads(row["mismatches"] or "[]")}
