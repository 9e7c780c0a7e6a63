"""What retention looks at: recordings per camera by age, and per account against its quota.

Paused accounts (the owner blocked processing) are left out: nothing of theirs is deleted.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import Any

import sqlite_utils

from core.catalog import atomic, in_marks
from core.catalog.jobs import FINAL_STATES, VISIBLE_STATES
from core.catalog.states import AccountState, JobState


def cameras_with_retention(db: sqlite_utils.Database, default_days: int) -> list[dict[str, Any]]:
    """Every camera with the days its recordings are kept (its own setting or ``default_days``);
    cameras of paused accounts are not listed."""
    return list(
        db.query(
            "SELECT c.id, c.owner_id, coalesce(c.retention_days, ?) AS retention_days"
            " FROM cameras c JOIN users u ON u.id = c.owner_id"
            " WHERE u.state IS NOT ? ORDER BY c.id",
            [default_days, AccountState.PAUSED],
        )
    )


def set_camera_retention(db: sqlite_utils.Database, camera_id: int, days: int | None) -> None:
    with atomic(db):
        db.execute("UPDATE cameras SET retention_days = ? WHERE id = ?", [days, camera_id])


def recordings_received_before(
    db: sqlite_utils.Database, camera_id: int, cutoff: str
) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT * FROM recordings WHERE camera_id = ? AND received_at < ?"
            " ORDER BY received_at, id",
            [camera_id, cutoff],
        )
    )


def accounts_with_usage(db: sqlite_utils.Database, default_quota_mb: int) -> list[dict[str, Any]]:
    """Per account that has recordings (paused ones left out): its quota in bytes and the bytes
    its recordings take."""
    return list(
        db.query(
            "SELECT u.id AS user_id, coalesce(u.quota_mb, ?) * 1048576 AS quota_bytes,"
            " t.bytes AS used_bytes"
            " FROM users u JOIN account_totals t ON t.user_id = u.id"
            " WHERE u.state IS NOT ? AND t.recordings > 0"
            " ORDER BY u.id",
            [default_quota_mb, AccountState.PAUSED],
        )
    )


def account_recordings_oldest_first(
    db: sqlite_utils.Database, user_id: int, batch: int = 500
) -> Iterator[dict[str, Any]]:
    """The account's recordings by ``received_at``, oldest first, read as they are consumed:
    per camera in batches along ``idx_recordings_camera_received``, merged here. Retention
    takes only as many as bring the account under its quota, not all of a million rows."""
    cameras = [row[0] for row in db.execute("SELECT id FROM cameras WHERE owner_id = ?", [user_id])]
    return heapq.merge(
        *(_camera_oldest_first(db, camera_id, batch) for camera_id in cameras),
        key=lambda row: (row["received_at"], row["id"]),
    )


def _camera_oldest_first(
    db: sqlite_utils.Database, camera_id: int, batch: int
) -> Iterator[dict[str, Any]]:
    after: tuple[str, int] = ("", 0)
    while True:
        rows = list(
            db.query(
                "SELECT * FROM recordings WHERE camera_id = ?"
                " AND (received_at > ? OR (received_at = ? AND id > ?))"
                " ORDER BY received_at, id LIMIT ?",
                [camera_id, after[0], after[0], after[1], batch],
            )
        )
        yield from rows
        if len(rows) < batch:
            return
        after = (rows[-1]["received_at"], rows[-1]["id"])


def delete_upload_records(db: sqlite_utils.Database, cutoff: str) -> dict[str, int]:
    """Records of uploads that hold a file name, size and shortened address but no clip any
    more: refusals (rejection and job rows) older than ``cutoff``, and at any age the rows
    nothing shows (no camera left, or an indexed job whose recording or still is gone). Paused
    accounts are not spared: these are records about uploads, not the owner's recordings."""
    final = sorted(FINAL_STATES)
    with atomic(db):
        rejections = db.execute(
            "DELETE FROM rejections WHERE rejected_at < ? OR camera_id IS NULL", [cutoff]
        ).rowcount
        refused = db.execute(
            "DELETE FROM jobs WHERE state = ? AND updated_at < ?", [JobState.REJECTED, cutoff]
        ).rowcount
        visible = list(VISIBLE_STATES)
        orphans = db.execute(
            f"DELETE FROM jobs WHERE (camera_id IS NULL AND state IN ({in_marks(final)}))"  # noqa: S608
            f" OR (state IN ({in_marks(visible)})"
            " AND NOT EXISTS (SELECT 1 FROM recordings r WHERE r.job_id = jobs.id)"
            # A snapshot's job: its recording is the clip's, found through the still.
            " AND NOT EXISTS (SELECT 1 FROM stills s WHERE s.job_id = jobs.id))",
            [*final, *visible],
        ).rowcount
    return {"rejections": rejections, "refused_jobs": refused, "orphan_jobs": orphans}
