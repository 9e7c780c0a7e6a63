"""Figures for the statistics page: alarms per time bucket with their false-alarm verdicts, what
was seen, and storage used per day.

Every query reads one time range of the cameras asked for through the index on
``recordings(camera_id, started_at)`` and groups in SQL, so a catalog with millions of rows
costs what the range holds, never a scan. Buckets are UTC text prefixes of ``started_at``
(``2026-11-25T13`` for an hour); the caller turns them into the viewer's days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlite_utils

from core.catalog import in_marks

HOUR_BUCKET = 13  # len("2026-11-25T13")
MINUTE_BUCKET = 16  # len("2026-11-25T13:05"), for zones whose offset is not whole hours


@dataclass(frozen=True)
class AlarmBucket:
    """Alarms that started in one bucket, by what the false-alarm check said."""

    bucket: str
    alarms: int
    checked: int  # analysed with the false-alarm check switched on
    false_alarms: int
    cause: str | None  # one row per (bucket, cause); None: not a false alarm


def alarm_buckets(
    db: sqlite_utils.Database,
    camera_ids: Sequence[int],
    start: str,
    end: str,
    bucket_chars: int = HOUR_BUCKET,
) -> list[AlarmBucket]:
    """Per bucket of ``started_at`` in [start, end) and false-alarm cause: alarm counts."""
    if not camera_ids:
        return []
    bucket = f"substr(r.started_at, 1, {int(bucket_chars)})"
    rows = db.execute(
        f"SELECT {bucket}, d.false_alarm_cause, count(*),"  # noqa: S608 - our int, placeholders
        " sum(CASE WHEN d.switches LIKE '%false_alarm%' THEN 1 ELSE 0 END)"
        " FROM recordings r LEFT JOIN detection_runs d ON d.recording_id = r.id"
        f" WHERE r.camera_id IN ({in_marks(camera_ids)})"
        " AND r.started_at >= ? AND r.started_at < ?"
        f" GROUP BY {bucket}, d.false_alarm_cause",
        [*camera_ids, start, end],
    ).fetchall()
    return [
        AlarmBucket(
            bucket=bucket,
            alarms=alarms,
            checked=checked or 0,
            false_alarms=alarms if cause is not None else 0,
            cause=cause,
        )
        for bucket, cause, alarms, checked in rows
    ]


def label_counts(
    db: sqlite_utils.Database, camera_ids: Sequence[int], start: str, end: str
) -> dict[str, int]:
    """Recordings in [start, end) per label seen in them."""
    if not camera_ids:
        return {}
    rows = db.execute(
        "SELECT l.label, count(DISTINCT l.recording_id)"  # noqa: S608 - placeholders only
        " FROM recordings r JOIN recording_labels l ON l.recording_id = r.id"
        f" WHERE r.camera_id IN ({in_marks(camera_ids)})"
        " AND r.started_at >= ? AND r.started_at < ?"
        " GROUP BY l.label",
        [*camera_ids, start, end],
    ).fetchall()
    return {label: count for label, count in rows}


def storage_by_day(
    db: sqlite_utils.Database, camera_ids: Sequence[int], first_day: str, last_day: str
) -> dict[str, tuple[int, int]]:
    """(recordings, bytes) stored per measured day in [first_day, last_day], summed over the
    cameras."""
    if not camera_ids:
        return {}
    rows = db.execute(
        "SELECT day, sum(recordings), sum(bytes) FROM storage_history"  # noqa: S608
        f" WHERE camera_id IN ({in_marks(camera_ids)}) AND day >= ? AND day <= ?"
        " GROUP BY day ORDER BY day",
        [*camera_ids, first_day, last_day],
    ).fetchall()
    return {day: (recordings, size) for day, recordings, size in rows}


def stored_now(db: sqlite_utils.Database, camera_ids: Sequence[int]) -> tuple[int, int]:
    """(recordings, bytes) the cameras hold now."""
    if not camera_ids:
        return 0, 0
    recordings, size = db.execute(
        "SELECT count(*), coalesce(sum(size_bytes), 0) FROM recordings"  # noqa: S608
        f" WHERE camera_id IN ({in_marks(camera_ids)})",
        list(camera_ids),
    ).fetchone()
    return recordings, size
