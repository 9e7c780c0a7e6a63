"""Changes to cameras made in the web UI by their owner (name, model, removal), and the admin's
camera list. Creating a camera and rotating its password are in `cameras`; fair-use steps in
`fairuse`."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from core.catalog import atomic
from core.catalog.plates import forget_plates_in_deliveries
from core.catalog.totals import forget_camera


def update_camera(db: sqlite_utils.Database, camera_id: int, *, name: str, model: str) -> None:
    with atomic(db):
        db.execute(
            "UPDATE cameras SET name = ?, model = ? WHERE id = ?",
            [name.strip()[:80] or "Camera", model, camera_id],
        )


def set_keep_snapshots(db: sqlite_utils.Database, camera_id: int, keep: bool) -> None:
    """Whether the camera's JPEG snapshots are kept as stills (off: refused `snapshots_off`)."""
    with atomic(db):
        db.execute("UPDATE cameras SET keep_snapshots = ? WHERE id = ?", [int(keep), camera_id])


def camera_recordings(db: sqlite_utils.Database, camera_id: int) -> list[dict[str, Any]]:
    """The camera's recording rows (to remove their files before the camera goes)."""
    return list(db.query("SELECT * FROM recordings WHERE camera_id = ?", [camera_id]))


def delete_camera_rows(db: sqlite_utils.Database, camera_id: int) -> None:
    """The camera and, through ON DELETE CASCADE, its jobs, recordings and rejections."""
    with atomic(db):
        recording_ids = [
            row[0]
            for row in db.execute("SELECT id FROM recordings WHERE camera_id = ?", [camera_id])
        ]
        forget_plates_in_deliveries(db, recording_ids)
        forget_camera(db, camera_id)
        db.execute("DELETE FROM cameras WHERE id = ?", [camera_id])


def cameras_with_owners(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """For the admin: every camera with its owner's id and its clip counts (no e-mail in logs,
    but the admin page shows it)."""
    return list(
        db.query(
            "SELECT c.id, c.name, c.model, c.username, c.enabled, c.fairuse_state, c.created_at,"
            " c.owner_id, u.email AS owner_email,"
            " coalesce(t.recordings, 0) AS recordings,"
            " (SELECT count(*) FROM rejections j WHERE j.camera_id = c.id) AS rejections"
            " FROM cameras c JOIN users u ON u.id = c.owner_id"
            " LEFT JOIN camera_totals t ON t.camera_id = c.id ORDER BY c.id"
        )
    )
