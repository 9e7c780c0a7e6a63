"""Indexed recordings (clips that passed validation), newest first."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from core.catalog import NotFound, utcnow
from core.catalog.states import RecordingKind
from core.catalog.totals import count_added
from core.timestamps import iso_in_zone

Recording = dict[str, Any]


def insert_recording(db: sqlite_utils.Database, recording: dict[str, Any]) -> int:
    """Insert inside the caller's transaction (with the running totals); the job_id UNIQUE
    key makes a repeat a no-op."""
    existing = db.execute(
        "SELECT id FROM recordings WHERE job_id = ?", [recording["job_id"]]
    ).fetchone()
    if existing:
        return int(existing[0])
    row = {"released": 0, "created_at": utcnow(), **recording}
    db.table("recordings").insert(row)
    recording_id = int(db.execute("SELECT last_insert_rowid()").fetchone()[0])
    count_added(db, row)
    return recording_id


def get_recording(db: sqlite_utils.Database, recording_id: int) -> Recording:
    rows = list(db.query("SELECT * FROM recordings WHERE id = ?", [recording_id]))
    if not rows:
        raise NotFound(f"recording {recording_id}")
    return rows[0]


def get_recording_by_job(db: sqlite_utils.Database, job_id: str) -> Recording | None:
    rows = list(db.query("SELECT * FROM recordings WHERE job_id = ?", [job_id]))
    return rows[0] if rows else None


def recording_paths(db: sqlite_utils.Database, camera_id: int) -> list[str]:
    """The relative clip paths of the camera's recordings (what its stored media belong to)."""
    return [
        row[0] for row in db.execute("SELECT path FROM recordings WHERE camera_id = ?", [camera_id])
    ]


def list_recordings(
    db: sqlite_utils.Database,
    *,
    camera_id: int | None = None,
    owner_id: int | None = None,
    limit: int | None = None,
) -> list[Recording]:
    where, params = [], []
    if camera_id is not None:
        where.append("r.camera_id = ?")
        params.append(camera_id)
    if owner_id is not None:
        where.append("c.owner_id = ?")
        params.append(owner_id)
    sql = (
        "SELECT r.*, c.name AS camera_name, c.owner_id AS owner_id FROM recordings r"
        " JOIN cameras c ON c.id = r.camera_id"
    )
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY r.started_at DESC, r.id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return list(db.query(sql, params))


def public_recording(row: Recording, zone: str | None = None) -> dict[str, Any]:
    """A recording as its owner sees it: the API's ``Recording`` and `alarmvault recordings list
    --json`. No file paths. ``row`` carries ``camera_name`` (every listing query joins it) and
    ``labels``, ``plates``, ``analysing`` and ``stills`` when the caller attached them
    (`attach_labels`, `attach_plates`, `attach_stills`). Times are ISO 8601 with the offset of
    ``zone`` (the viewer's; UTC when None)."""
    return {
        "id": row["id"],
        "camera_id": row["camera_id"],
        "camera_name": row["camera_name"],
        "started_at": iso_in_zone(row["started_at"], zone),
        "received_at": iso_in_zone(row["received_at"], zone),
        "duration_s": row["duration_s"],
        "width": row["width"],
        "height": row["height"],
        "fps": row["fps"],
        "codec": row["codec"],
        "container": row["container"],
        "size_bytes": row["size_bytes"],
        "labels": row.get("labels", []),
        # Visible before its labels: detection has not finished with it yet.
        "analysing": bool(row.get("analysing", False)),
        "plates": [
            {"text": plate["text"], "name": plate["name"]} for plate in row.get("plates", [])
        ],
        "kind": row.get("kind", RecordingKind.CLIP),
        "stills": [_public_still(still, zone) for still in row.get("stills", [])],
        "released": bool(row["released"]),
        "reviewed": row.get("reviewed_at") is not None,
        "reviewed_at": iso_in_zone(row.get("reviewed_at"), zone),
    }


def _public_still(still: dict[str, Any], zone: str | None) -> dict[str, Any]:
    """A still as its owner sees it (the API's ``Still``); its picture is served by id."""
    return {
        "id": still["id"],
        "taken_at": iso_in_zone(still["taken_at"], zone),
        "width": still["width"],
        "height": still["height"],
        "size_bytes": still["size_bytes"],
    }
