"""What ingestd needs to know about an upload account: may it log in, how much may it store.

Read-only; the rows belong to `cameras`, `users`, `recordings` and `jobs`.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from core.catalog.states import JobState
from core.catalog.totals import account_totals

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
    # Recordings from the running totals; pending jobs through idx_jobs_camera_state.
    row = db.execute(
        "SELECT COALESCE(SUM(j.size_bytes), 0) FROM cameras c"
        " JOIN jobs j ON j.camera_id = c.id AND j.state IN (?, ?, ?, ?)"
        " WHERE c.owner_id = ?",
        [*_PENDING_JOB_STATES, owner_id],
    ).fetchone()
    return account_totals(db, owner_id)["bytes"] + int(row[0])
