"""Alarm events as the API reports them: recent alarms, counts per camera and day, storage.

Every alarm clip the pipeline indexed is one alarm event (a long alarm is a series of clips).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import sqlite_utils

from core.catalog.browse import attach_labels
from core.catalog.totals import account_totals
from core.timestamps import in_zone, local_window


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
    zone: str | None = None,
) -> list[dict[str, Any]]:
    """``[{camera_id, day, count}]`` from ``since`` on, oldest day first; days are wall-clock
    days in ``zone`` (the viewer's; UTC when None), which SQLite cannot compute, so the start
    times are counted here (an index-only read of ``idx_recordings_camera_started``)."""
    sql = (
        "SELECT r.camera_id, r.started_at FROM recordings r JOIN cameras c ON c.id = r.camera_id"
        " WHERE c.owner_id = ? AND r.started_at >= ?"
    )
    params: list[Any] = [owner_id, local_window(since, zone)[0]]
    if camera_id is not None:
        sql += " AND r.camera_id = ?"
        params.append(camera_id)
    counts = Counter(
        (day_camera, in_zone(started_at, zone).date().isoformat())
        for day_camera, started_at in db.execute(sql, params).fetchall()
    )
    return [
        {"camera_id": camera, "day": day, "count": count}
        for (camera, day), count in sorted(
            counts.items(), key=lambda item: (item[0][1], item[0][0])
        )
    ]


def storage_usage(db: sqlite_utils.Database, owner_id: int) -> dict[str, Any]:
    """Bytes and count of the owner's recordings, the oldest and newest start, the quota."""
    totals = account_totals(db, owner_id)
    # Per camera one step into idx_recordings_camera_started at each end, not a scan.
    oldest, newest = db.execute(
        "SELECT min(oldest), max(newest) FROM (SELECT"
        " (SELECT min(r.started_at) FROM recordings r WHERE r.camera_id = c.id) AS oldest,"
        " (SELECT max(r.started_at) FROM recordings r WHERE r.camera_id = c.id) AS newest"
        " FROM cameras c WHERE c.owner_id = ?) ends",
        [owner_id],
    ).fetchone()
    quota = db.execute("SELECT quota_mb FROM users WHERE id = ?", [owner_id]).fetchone()
    return {
        "used_bytes": totals["bytes"],
        "recordings": totals["recordings"],
        "oldest_recording_at": oldest,
        "newest_recording_at": newest,
        "quota_mb": quota[0] if quota else None,
    }


def days_back(today: date, days: int) -> date:
    return today - timedelta(days=max(days, 1) - 1)
