"""The delayed lane: validated clips that wait (long clips, throttled cameras) before they
are processed. Their upload stays in the spool; releasing a job makes it open again, and the
pipeline's next spool scan picks it up."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from core.catalog import atomic, utcnow
from core.catalog.states import AccountState, JobState
from core.catalog.times import iso


def set_release_at(db: sqlite_utils.Database, job_id: str, release_at: str) -> None:
    """Inside the caller's transaction, together with the move to ``delayed``."""
    db.execute("UPDATE jobs SET release_at = ? WHERE id = ?", [release_at, job_id])


def release_delayed(db: sqlite_utils.Database, now: datetime) -> list[str]:
    """Make every delayed job whose time has come ``validated`` again; returns their ids.

    Jobs of paused accounts keep waiting until the owner resumes the account. For the
    scheduler; the pipeline also releases a due job itself when its spool scan meets it.
    """
    with atomic(db):
        due = [
            row[0]
            for row in db.execute(
                "SELECT j.id FROM jobs j LEFT JOIN cameras c ON c.id = j.camera_id"
                " LEFT JOIN users u ON u.id = c.owner_id"
                " WHERE j.state = ? AND j.release_at <= ? AND u.state IS NOT ?",
                [JobState.DELAYED, iso(now), AccountState.PAUSED],
            ).fetchall()
        ]
        if due:
            marks = ", ".join("?" for _ in due)
            db.execute(
                f"UPDATE jobs SET state = ?, updated_at = ? WHERE state = ? AND id IN ({marks})",  # noqa: S608
                [JobState.VALIDATED, utcnow(), JobState.DELAYED, *due],
            )
    return due


def release_if_due(db: sqlite_utils.Database, job_id: str, now: datetime) -> bool:
    with atomic(db):
        cursor = db.execute(
            "UPDATE jobs SET state = ?, updated_at = ? WHERE id = ? AND state = ?"
            " AND release_at <= ?",
            [JobState.VALIDATED, utcnow(), job_id, JobState.DELAYED, iso(now)],
        )
        return cursor.rowcount == 1


def count_delayed(db: sqlite_utils.Database, camera_id: int | None = None) -> int:
    if camera_id is None:
        row = db.execute("SELECT count(*) FROM jobs WHERE state = ?", [JobState.DELAYED]).fetchone()
    else:
        row = db.execute(
            "SELECT count(*) FROM jobs WHERE state = ? AND camera_id = ?",
            [JobState.DELAYED, camera_id],
        ).fetchone()
    return int(row[0])
