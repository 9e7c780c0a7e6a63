"""What ingestd needs to know about an upload account: may it log in, how much may it store.

Read-only; the rows belong to `cameras`, `users`, `recordings` and `jobs`.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from core.catalog.states import JobState

UploadAccount = dict[str, Any]

# Jobs in these states still hold their clip in the spool, so they count against the quota.
_PENDING_JOB_STATES = (
    JobState.RECEIVED,
    JobState.VALIDATED,
    JobState.QUARANTINED,
    JobState.DELAYED,
)


def find_upload_account(db: sqlite_utils.Database, username: str) -> UploadAccount | None:
    """The camera with its owner's state and quota, by upload user name; None if unknown."""
    rows = list(
        db.query(
            "SELECT c.id AS camera_id, c.username, c.owner_id, c.enabled, c.fairuse_state,"
            " u.state AS owner_state, u.quota_mb"
            " FROM cameras c JOIN users u ON u.id = c.owner_id WHERE c.username = ?",
            [username],
        )
    )
    return rows[0] if rows else None


def owner_stored_bytes(db: sqlite_utils.Database, owner_id: int) -> int:
    """Bytes the owner's cameras hold: indexed recordings plus uploads still being processed."""
    row = db.execute(
        "SELECT"
        " (SELECT COALESCE(SUM(r.size_bytes), 0) FROM recordings r"
        "  JOIN cameras c ON c.id = r.camera_id WHERE c.owner_id = ?)"
        " + (SELECT COALESCE(SUM(j.size_bytes), 0) FROM jobs j"
        "  JOIN cameras c ON c.id = j.camera_id"
        "  WHERE c.owner_id = ? AND j.state IN (?, ?, ?, ?))",
        [owner_id, owner_id, *_PENDING_JOB_STATES],
    ).fetchone()
    return int(row[0])
