"""Time zones kept in the catalog: the zone a camera writes its file names in (the owner's
confirmed choice, the samples a suggestion is made from, re-filing the camera's recordings when
it changes) and the zone a user views times in."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from core.catalog import atomic
from core.catalog.activity import count_moved
from core.timestamps import parse_utc, started_at_from_name, time_in_name

# The first clips of a camera say most about its clock (later ones may follow a change).
SAMPLE_CLIPS = 10


def name_time_samples(
    db: sqlite_utils.Database, camera_id: int, patterns: list[str]
) -> list[tuple[datetime, datetime]]:
    """``(file-name time, upload-completion time)`` of the camera's first clips whose names
    carry a time."""
    rows = db.execute(
        "SELECT original_name, received_at FROM recordings WHERE camera_id = ?"
        " AND original_name IS NOT NULL ORDER BY received_at, id LIMIT ?",
        [camera_id, SAMPLE_CLIPS],
    ).fetchall()
    samples = []
    for original_name, received_at in rows:
        name_time = time_in_name(original_name, patterns)
        if name_time is not None:
            samples.append((name_time, parse_utc(received_at)))
    return samples


def set_file_timezone(
    db: sqlite_utils.Database, camera_id: int, zone: str, patterns: list[str]
) -> int:
    """Store the camera's zone and re-file its recordings and stills whose names carry a time
    (they were filed under the zone assumed before); returns how many recordings moved in
    time."""
    moved = 0
    with atomic(db):
        db.execute("UPDATE cameras SET file_timezone = ? WHERE id = ?", [zone, camera_id])
        rows = db.execute(
            "SELECT id, original_name, started_at FROM recordings WHERE camera_id = ?"
            " AND original_name IS NOT NULL",
            [camera_id],
        ).fetchall()
        for recording_id, original_name, started_at in rows:
            refiled = started_at_from_name(original_name, patterns, zone, fallback=started_at)
            if refiled != started_at:
                db.execute(
                    "UPDATE recordings SET started_at = ? WHERE id = ?", [refiled, recording_id]
                )
                moved += 1
        if moved:
            count_moved(db, camera_id)
        stills = db.execute(
            "SELECT id, original_name, taken_at FROM stills WHERE camera_id = ?"
            " AND original_name IS NOT NULL",
            [camera_id],
        ).fetchall()
        for still_id, original_name, taken_at in stills:
            refiled = started_at_from_name(original_name, patterns, zone, fallback=taken_at)
            if refiled != taken_at:
                db.execute("UPDATE stills SET taken_at = ? WHERE id = ?", [refiled, still_id])
    return moved


def set_user_timezone(
    db: sqlite_utils.Database, user_id: int, zone: str, *, only_if_unset: bool = False
) -> bool:
    """Store the zone ``user_id`` sees times in; with ``only_if_unset`` (the browser's guess)
    a zone the user chose is never overwritten. Returns whether the row changed."""
    condition = " AND timezone IS NULL" if only_if_unset else ""
    with atomic(db):
        cursor = db.execute(
            f"UPDATE users SET timezone = ? WHERE id = ?{condition}",  # noqa: S608 - ours
            [zone, user_id],
        )
    return cursor.rowcount > 0
