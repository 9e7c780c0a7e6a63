"""Alarm events as the API reports them: recent alarms, counts per camera and day, storage.

Every alarm clip the pipeline indexed is one alarm event (a long alarm is a series of clips).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlite_utils

from core.catalog.browse import attach_labels


def recent_alarm_events(
    db: sqlite_utils.Database,
    owner_id: int,
    *,
    camera_id: int | None = None,
    limit: int = 20,
) -> list[dict[str, Any]]:
    sql = (
        "SELECT r.id, r.camera_id, c.name AS camera_name, r.started_at, r.duration_s"
        " FROM recordings r JOIN cameras c ON c.id = r.camera_id WHERE c.owner_id = ?"
    )
    params: list[Any] = [owner_id]
    if camera_id is not None:
        sql += " AND r.camera_id = ?"
        params.append(camera_id)
    sql += " ORDER BY r.started_at DESC, r.id DESC LIMIT ?"
    rows = list(db.query(sql, [*params, limit]))
    attach_labels(db, rows)
    return rows


def alarm_counts_per_day(
    db: sqlite_utils.Database,
    owner_id: int,
    since: date,
    *,
    camera_id: int | None = None,
) -> list[dict[str, Any]]:
    """``[{camera_id, day, count}]`` from ``since`` (UTC days) on, oldest day first."""
    sql = (
        "SELECT r.camera_id, substr(r.started_at, 1, 10) AS day, count(*) AS count"
        " FROM recordings r JOIN cameras c ON c.id = r.camera_id"
        " WHERE c.owner_id = ? AND r.started_at >= ?"
    )
    params: list[Any] = [owner_id, since.isoformat()]
    if camera_id is not None:
        sql += " AND r.camera_id = ?"
        params.append(camera_id)
    sql += " GROUP BY r.camera_id, day ORDER BY day, r.camera_id"
    return list(db.query(sql, params))


def storage_usage(db: sqlite_utils.Database, owner_id: int) -> dict[str, Any]:
    """Bytes and count of the owner's recordings, the oldest and newest start, the quota."""
    row = db.execute(
        "SELECT coalesce(sum(r.size_bytes), 0), count(r.id), min(r.started_at), max(r.started_at)"
        " FROM recordings r JOIN cameras c ON c.id = r.camera_id WHERE c.owner_id = ?",
        [owner_id],
    ).fetchone()
    quota = db.execute("SELECT quota_mb FROM users WHERE id = ?", [owner_id]).fetchone()
    return {
        "used_bytes": int(row[0]),
        "recordings": int(row[1]),
        "oldest_recording_at": row[2],
        "newest_recording_at": row[3],
        "quota_mb": quota[0] if quota else None,
    }


def days_back(today: date, days: int) -> date:
    return today - timedelta(days=max(days, 1) - 1)
