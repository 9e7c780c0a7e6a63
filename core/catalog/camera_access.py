"""A camera's own address and login (for control and live view), kept sealed (encrypted).

This module only stores the sealed text; sealing and opening it is
`core.credential_box`. Nothing here can return the clear login.
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from core.catalog import atomic, utcnow

DIALECTS = ("fullhd", "wqhd")


def store_camera_access(
    db: sqlite_utils.Database, camera_id: int, dialect: str, sealed: str
) -> None:
    if dialect not in DIALECTS:
        raise ValueError(f"dialect must be one of {', '.join(DIALECTS)}")
    with atomic(db):
        db.execute(
            "INSERT INTO camera_access (camera_id, dialect, sealed, updated_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (camera_id) DO UPDATE SET"
            " dialect = excluded.dialect, sealed = excluded.sealed,"
            " updated_at = excluded.updated_at",
            [camera_id, dialect, sealed, utcnow()],
        )


def get_camera_access(db: sqlite_utils.Database, camera_id: int) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM camera_access WHERE camera_id = ?", [camera_id]))
    return rows[0] if rows else None


def delete_camera_access(db: sqlite_utils.Database, camera_id: int) -> bool:
    with atomic(db):
        return db.execute("DELETE FROM camera_access WHERE camera_id = ?", [camera_id]).rowcount > 0


def access_summaries(db: sqlite_utils.Database, owner_id: int) -> dict[int, dict[str, Any]]:
    """``{camera_id: {"dialect", "updated_at"}}`` for the owner's cameras with stored access."""
    return {
        row["camera_id"]: {"dialect": row["dialect"], "updated_at": row["updated_at"]}
        for row in db.query(
            "SELECT a.camera_id, a.dialect, a.updated_at FROM camera_access a"
            " JOIN cameras c ON c.id = a.camera_id WHERE c.owner_id = ?",
            [owner_id],
        )
    }
