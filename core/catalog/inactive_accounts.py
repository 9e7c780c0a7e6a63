"""Accounts nobody uses any more: found by their last activity, warned, then deleted.

Activity is the latest of: account creation, web login, and an upload by one of the account's
cameras. A camera that still uploads means the service is in use even if nobody logs in.
A paused account (its owner blocked processing and keeps everything) is neither warned nor
deleted.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from core.catalog import atomic
from core.catalog.states import AccountState

_WITH_ACTIVITY = """
SELECT u.id, u.email, u.language, u.state, u.inactivity_warned_at,
       greatest(u.created_at, coalesce(u.last_login_at, ''),
           coalesce((SELECT max(j.received_at) FROM jobs j JOIN cameras c ON c.id = j.camera_id
                     WHERE c.owner_id = u.id), '')) AS last_active_at
FROM users u
WHERE u.is_admin = 0
"""


def accounts_to_warn(db: sqlite_utils.Database, inactive_before: str) -> list[dict[str, Any]]:
    """Not yet warned, and no activity since ``inactive_before``. Admins and paused accounts
    are never warned."""
    return list(
        db.query(
            f"SELECT * FROM ({_WITH_ACTIVITY}) AS activity WHERE inactivity_warned_at IS NULL"  # noqa: S608
            " AND state IS NOT ? AND last_active_at < ? ORDER BY id",
            [AccountState.PAUSED, inactive_before],
        )
    )


def accounts_to_delete(db: sqlite_utils.Database, warned_before: str) -> list[dict[str, Any]]:
    """Warned at or before ``warned_before`` and not used since the warning; never a paused
    account."""
    return list(
        db.query(
            f"SELECT * FROM ({_WITH_ACTIVITY}) AS activity WHERE inactivity_warned_at IS NOT NULL"  # noqa: S608
            " AND state IS NOT ? AND inactivity_warned_at <= ?"
            " AND last_active_at <= inactivity_warned_at"
            " ORDER BY id",
            [AccountState.PAUSED, warned_before],
        )
    )


def mark_warned(db: sqlite_utils.Database, user_id: int, at: str) -> None:
    with atomic(db):
        db.execute(
            "UPDATE users SET inactivity_warned_at = ?"
            " WHERE id = ? AND inactivity_warned_at IS NULL",
            [at, user_id],
        )


def clear_warnings_of_active_accounts(db: sqlite_utils.Database) -> int:
    """Forget the warning of accounts used again after it; returns how many."""
    with atomic(db):
        cursor = db.execute(
            "UPDATE users SET inactivity_warned_at = NULL WHERE id IN ("  # noqa: S608
            f" SELECT id FROM ({_WITH_ACTIVITY}) AS activity WHERE inactivity_warned_at IS NOT NULL"
            " AND last_active_at > inactivity_warned_at)"
        )
        return cursor.rowcount
