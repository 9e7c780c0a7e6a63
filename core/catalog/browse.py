"""Recordings as their owner browses them: filtered, keyset-paginated, released or deleted.

Keyset pagination on ``(started_at, id)`` uses the ``idx_recordings_*_started`` indexes, so a
page costs the same at row 20 and at row 1,000,000 (no OFFSET). Labels come from the detection
tables (``recording_labels``) when they exist; without them a label filter matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlite_utils

from core.catalog import atomic
from core.catalog.states import JobState

LABELS_TABLE = "recording_labels"


@dataclass(frozen=True)
class RecordingFilter:
    owner_id: int
    camera_id: int | None = None
    since: date | None = None
    until: date | None = None  # inclusive day
    label: str | None = None
    released_only: bool = False


@dataclass(frozen=True)
class Cursor:
    """The last row of a page: the next page starts strictly after it."""

    started_at: str
    id: int

    def encode(self) -> str:
        return f"{self.started_at}~{self.id}"

    @classmethod
    def decode(cls, text: str | None) -> Cursor | None:
        if not text or "~" not in text:
            return None
        started_at, _, ident = text.rpartition("~")
        if not ident.isdigit() or len(started_at) > 40:
            return None
        return cls(started_at, int(ident))


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    next_cursor: Cursor | None


def has_table(db: sqlite_utils.Database, name: str) -> bool:
    return name in db.table_names()


def has_column(db: sqlite_utils.Database, table: str, column: str) -> bool:
    return has_table(db, table) and column in db.table(table).columns_dict


def _where(
    db: sqlite_utils.Database, flt: RecordingFilter, camera_id: int
) -> tuple[list[str], list[Any]]:
    where = ["r.camera_id = ?"]
    params: list[Any] = [camera_id]
    if flt.since is not None:
        where.append("r.started_at >= ?")
        params.append(flt.since.isoformat())
    if flt.until is not None:
        where.append("r.started_at < ?")
        params.append((flt.until + timedelta(days=1)).isoformat())
    if flt.released_only:
        where.append("r.released = 1")
    if flt.label:
        if has_table(db, LABELS_TABLE):
            where.append(
                f"EXISTS (SELECT 1 FROM {LABELS_TABLE} l"  # noqa: S608 - names are ours
                " WHERE l.recording_id = r.id AND l.label = ?)"
            )
            params.append(flt.label)
        else:
            where.append("0")
    return where, params


def _owner_camera_ids(db: sqlite_utils.Database, flt: RecordingFilter) -> list[int]:
    rows = db.execute("SELECT id FROM cameras WHERE owner_id = ?", [flt.owner_id]).fetchall()
    ids = [row[0] for row in rows]
    if flt.camera_id is not None:
        return [flt.camera_id] if flt.camera_id in ids else []
    return ids


def search_recordings(
    db: sqlite_utils.Database,
    flt: RecordingFilter,
    *,
    after: Cursor | None = None,
    limit: int = 24,
) -> Page:
    """One page of the owner's recordings, newest first, starting after ``after``.

    One indexed range read per camera (``idx_recordings_camera_started``), merged here: an
    owner has a handful of cameras, so a page costs cameras x limit rows whatever the table
    size and whatever statistics SQLite has (a single query over the owner's cameras sorts
    all their rows unless ANALYZE happened to run).
    """
    candidates: list[dict[str, Any]] = []
    for camera_id in _owner_camera_ids(db, flt):
        where, params = _where(db, flt, camera_id)
        if after is not None:
            where.append("(r.started_at < ? OR (r.started_at = ? AND r.id < ?))")
            params += [after.started_at, after.started_at, after.id]
        clauses = " AND ".join(where)
        sql = (
            "SELECT r.*, c.name AS camera_name, c.owner_id AS owner_id"  # noqa: S608
            f" FROM recordings r JOIN cameras c ON c.id = r.camera_id WHERE {clauses}"
            " ORDER BY r.started_at DESC, r.id DESC LIMIT ?"
        )
        candidates += db.query(sql, [*params, limit + 1])
    candidates.sort(key=lambda row: (row["started_at"], row["id"]), reverse=True)
    rows = candidates[: limit + 1]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = Cursor(rows[-1]["started_at"], rows[-1]["id"])
    attach_labels(db, rows)
    return Page(rows, next_cursor)


def attach_labels(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> None:
    """Add ``labels`` (sorted names) to each row, from the detection tables when present, and
    ``analysing``: the clip is visible but its labels are still to come."""
    for row in rows:
        row["labels"] = []
        row["analysing"] = False
    if not rows:
        return
    by_id = {row["id"]: row for row in rows}
    marks = ", ".join("?" for _ in by_id)
    for (recording_id,) in db.execute(
        f"SELECT recording_id FROM jobs WHERE state = ? AND recording_id IN ({marks})",  # noqa: S608
        [JobState.ANALYSING, *by_id],
    ).fetchall():
        by_id[recording_id]["analysing"] = True
    if not has_table(db, LABELS_TABLE):
        return
    for item in db.query(
        f"SELECT DISTINCT recording_id, label FROM {LABELS_TABLE}"  # noqa: S608
        f" WHERE recording_id IN ({marks}) ORDER BY label",
        list(by_id),
    ):
        by_id[item["recording_id"]]["labels"].append(item["label"])


def recording_with_owner(db: sqlite_utils.Database, recording_id: int) -> dict[str, Any] | None:
    rows = list(
        db.query(
            "SELECT r.*, c.name AS camera_name, c.owner_id AS owner_id FROM recordings r"
            " JOIN cameras c ON c.id = r.camera_id WHERE r.id = ?",
            [recording_id],
        )
    )
    if not rows:
        return None
    attach_labels(db, rows)
    return rows[0]


def label_details(db: sqlite_utils.Database, recording_id: int) -> list[dict[str, Any]]:
    """Every detection row of a recording (whatever columns the detection tables have)."""
    if not has_table(db, LABELS_TABLE):
        return []
    return list(
        db.query(
            f"SELECT * FROM {LABELS_TABLE} WHERE recording_id = ?",  # noqa: S608
            [recording_id],
        )
    )


def owned_recordings(
    db: sqlite_utils.Database, owner_id: int, recording_ids: list[int]
) -> list[dict[str, Any]]:
    """The subset of ``recording_ids`` that belongs to ``owner_id`` (others are ignored)."""
    if not recording_ids:
        return []
    marks = ", ".join("?" for _ in recording_ids)
    return list(
        db.query(
            "SELECT r.* FROM recordings r JOIN cameras c ON c.id = r.camera_id"  # noqa: S608
            f" WHERE c.owner_id = ? AND r.id IN ({marks})",
            [owner_id, *recording_ids],
        )
    )


def delete_recording_rows(db: sqlite_utils.Database, recording_ids: list[int]) -> None:
    if not recording_ids:
        return
    marks = ", ".join("?" for _ in recording_ids)
    with atomic(db):
        db.execute(f"DELETE FROM recordings WHERE id IN ({marks})", recording_ids)  # noqa: S608


def set_released(db: sqlite_utils.Database, recording_ids: list[int], released: bool) -> None:
    if not recording_ids:
        return
    marks = ", ".join("?" for _ in recording_ids)
    with atomic(db):
        db.execute(
            f"UPDATE recordings SET released = ? WHERE id IN ({marks})",  # noqa: S608
            [int(released), *recording_ids],
        )


def released_recordings(db: sqlite_utils.Database, limit: int = 200) -> list[dict[str, Any]]:
    """For the admin: only what owners released for training."""
    rows = list(
        db.query(
            "SELECT r.*, c.name AS camera_name, c.owner_id AS owner_id FROM recordings r"
            " JOIN cameras c ON c.id = r.camera_id WHERE r.released = 1"
            " ORDER BY r.started_at DESC, r.id DESC LIMIT ?",
            [limit],
        )
    )
    attach_labels(db, rows)
    return rows


def camera_summaries(db: sqlite_utils.Database, owner_id: int, today: date) -> list[dict[str, Any]]:
    """Per camera of the owner: last alarm, alarms today, quarantined clips."""
    return list(
        db.query(
            "SELECT c.*,"
            " (SELECT max(r.started_at) FROM recordings r WHERE r.camera_id = c.id) AS last_alarm,"
            " (SELECT count(*) FROM recordings r WHERE r.camera_id = c.id"
            "  AND r.started_at >= ? AND r.started_at < ?) AS alarms_today,"
            " (SELECT count(*) FROM jobs j WHERE j.camera_id = c.id AND j.state = ?)"
            " AS quarantined"
            " FROM cameras c WHERE c.owner_id = ? ORDER BY c.id",
            [
                today.isoformat(),
                (today + timedelta(days=1)).isoformat(),
                JobState.QUARANTINED,
                owner_id,
            ],
        )
    )


def bytes_used(db: sqlite_utils.Database, owner_id: int) -> int:
    row = db.execute(
        "SELECT coalesce(sum(r.size_bytes), 0) FROM recordings r"
        " JOIN cameras c ON c.id = r.camera_id WHERE c.owner_id = ?",
        [owner_id],
    ).fetchone()
    return int(row[0])
