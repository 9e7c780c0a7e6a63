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

from core.catalog import atomic, in_marks
from core.catalog.plates import attach_plates, forget_plates_in_deliveries, plate_condition
from core.catalog.states import JobState
from core.catalog.totals import account_totals, count_removed, count_reviewed

LABELS_TABLE = "recording_labels"
# Cameras whose page reads go into one UNION ALL statement (an account with hundreds of
# cameras gets a few statements, each well within either engine's limit on bound values).
CAMERAS_PER_STATEMENT = 100


@dataclass(frozen=True)
class RecordingFilter:
    owner_id: int
    camera_id: int | None = None
    since: date | None = None
    until: date | None = None  # inclusive day
    label: str | None = None
    plate: str | None = None  # look-alikes and one missing character tolerated
    released_only: bool = False
    # A window in UTC ISO text, start inclusive, end exclusive: the viewer's local day or hour.
    start: str | None = None
    end: str | None = None
    reviewed: bool | None = None  # None: both


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
    if flt.start is not None:
        where.append("r.started_at >= ?")
        params.append(flt.start)
    if flt.end is not None:
        where.append("r.started_at < ?")
        params.append(flt.end)
    if flt.reviewed is not None:
        where.append("r.reviewed_at IS NOT NULL" if flt.reviewed else "r.reviewed_at IS NULL")
    if flt.label:
        # Only cameras with recordings of the label get here (`_owner_camera_ids`).
        where.append(
            f"EXISTS (SELECT 1 FROM {LABELS_TABLE} l"  # noqa: S608 - names are ours
            " WHERE l.recording_id = r.id AND l.label = ?)"
        )
        params.append(flt.label)
    if flt.plate:
        condition, values = plate_condition(flt.plate)
        where.append(condition)
        params += values
    return where, params


def _owner_camera_ids(db: sqlite_utils.Database, flt: RecordingFilter) -> list[int]:
    """The owner's cameras that ``flt`` can match: with a label, only those that have
    recordings with it (`core.catalog.activity`'s label counts; the others would be read to
    their end for nothing)."""
    if flt.label:
        rows = db.execute(
            "SELECT c.id FROM cameras c JOIN camera_labels l ON l.camera_id = c.id"
            " WHERE c.owner_id = ? AND l.label = ? AND l.recordings > 0",
            [flt.owner_id, flt.label],
        ).fetchall()
    else:
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

    One indexed range read per camera (``idx_recordings_camera_started``), merged by the
    database: a single query over the owner's cameras sorts all their rows unless the planner
    happens to know better, while each camera's newest ``limit + 1`` keys are an index seek
    whatever the table size. The per-camera reads are the branches of one ``UNION ALL`` (one
    statement and round trip for 42 cameras, not 42) and take only the keys
    ``(started_at, id)``, which the index holds; whole rows are read for the page alone.
    """
    keys: list[tuple[str, int]] = []
    camera_ids = _owner_camera_ids(db, flt)
    for first in range(0, len(camera_ids), CAMERAS_PER_STATEMENT):
        branches, params = [], []
        for branch, camera_id in enumerate(camera_ids[first : first + CAMERAS_PER_STATEMENT]):
            where, values = _where(db, flt, camera_id)
            if after is not None:
                # The plain bound first: with only the OR, the index is walked from the newest
                # row down to the cursor (half a camera's rows for a page deep down), not sought.
                where.append(
                    "r.started_at <= ? AND (r.started_at < ? OR (r.started_at = ? AND r.id < ?))"
                )
                values += [after.started_at, after.started_at, after.started_at, after.id]
            branches.append(
                "SELECT started_at, id FROM (SELECT r.started_at, r.id FROM recordings r"  # noqa: S608
                f" WHERE {' AND '.join(where)} ORDER BY r.started_at DESC, r.id DESC LIMIT ?)"
                # Named by position, not camera: accounts with as many cameras send the same
                # text, so PostgreSQL's prepared plan of it serves them all (psycopg prepares
                # a text after its fifth use; planning 42 branches takes 5-8 ms).
                f" AS camera_{branch}"
            )
            params += [*values, limit + 1]
        keys += db.execute(
            " UNION ALL ".join(branches) + " ORDER BY started_at DESC, id DESC LIMIT ?",
            [*params, limit + 1],
        ).fetchall()
    keys = sorted(keys, reverse=True)[: limit + 1]
    next_cursor = None
    if len(keys) > limit:
        keys = keys[:limit]
        next_cursor = Cursor(*keys[-1])
    rows = _rows_by_id(db, [recording_id for _, recording_id in keys])
    attach_labels(db, rows)
    attach_plates(db, rows)
    return Page(rows, next_cursor)


def _rows_by_id(db: sqlite_utils.Database, recording_ids: list[int]) -> list[dict[str, Any]]:
    """The recordings with their camera's name and owner, in the order of ``recording_ids``."""
    if not recording_ids:
        return []
    by_id = {
        row["id"]: row
        for row in db.query(
            "SELECT r.*, c.name AS camera_name, c.owner_id AS owner_id"  # noqa: S608 - marks
            " FROM recordings r JOIN cameras c ON c.id = r.camera_id"
            f" WHERE r.id IN ({in_marks(recording_ids)})",
            recording_ids,
        )
    }
    return [by_id[recording_id] for recording_id in recording_ids if recording_id in by_id]


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
    # idx_jobs_recording: with a million indexed jobs the planner would rather scan the table
    # than trust idx_jobs_state.
    for (recording_id,) in db.execute(
        f"SELECT recording_id FROM jobs WHERE recording_id IN ({marks}) AND state = ?",  # noqa: S608
        [*by_id, JobState.ANALYSING],
    ).fetchall():
        by_id[recording_id]["analysing"] = True
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
    attach_plates(db, rows)
    return rows[0]


def label_details(db: sqlite_utils.Database, recording_id: int) -> list[dict[str, Any]]:
    """Every detection row of a recording (whatever columns the detection tables have)."""
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
    """The recordings (with their stills) and the job rows they came from: a job row keeps the
    upload's file name, shortened address, size and probe, which must not outlive the
    recording."""
    if not recording_ids:
        return
    marks = ", ".join("?" for _ in recording_ids)
    with atomic(db):
        count_removed(db, recording_ids)
        db.execute(
            f"DELETE FROM jobs WHERE id IN (SELECT job_id FROM recordings WHERE id IN ({marks}))",  # noqa: S608
            recording_ids,
        )
        # The stills' uploads too (their rows go with the recording by ON DELETE CASCADE).
        db.execute(
            "DELETE FROM jobs WHERE id IN"  # noqa: S608
            f" (SELECT job_id FROM stills WHERE recording_id IN ({marks}))",
            recording_ids,
        )
        db.execute(f"DELETE FROM recordings WHERE id IN ({marks})", recording_ids)  # noqa: S608
        forget_plates_in_deliveries(db, recording_ids)


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


def camera_summaries(
    db: sqlite_utils.Database, owner_id: int, today: tuple[str, str]
) -> list[dict[str, Any]]:
    """Per camera of the owner: last alarm, alarms today (``today``: the viewer's day as UTC
    bounds, `core.timestamps.local_window`), quarantined clips."""
    return list(
        db.query(
            "SELECT c.*,"
            " (SELECT max(r.started_at) FROM recordings r WHERE r.camera_id = c.id) AS last_alarm,"
            " (SELECT count(*) FROM recordings r WHERE r.camera_id = c.id"
            "  AND r.started_at >= ? AND r.started_at < ?) AS alarms_today,"
            " (SELECT count(*) FROM jobs j WHERE j.camera_id = c.id AND j.state = ?)"
            " AS quarantined"
            " FROM cameras c WHERE c.owner_id = ? ORDER BY c.id",
            [*today, JobState.QUARANTINED, owner_id],
        )
    )


def bytes_used(db: sqlite_utils.Database, owner_id: int) -> int:
    return account_totals(db, owner_id)["bytes"]


def newer_recording(
    db: sqlite_utils.Database, flt: RecordingFilter, before: Cursor
) -> dict[str, Any] | None:
    """The recording just above ``before`` in the newest-first list of ``flt`` (the previous
    one on the page), or None at the top. `search_recordings` with ``after`` gives the next."""
    best: dict[str, Any] | None = None
    for camera_id in _owner_camera_ids(db, flt):
        where, params = _where(db, flt, camera_id)
        where.append("r.started_at >= ? AND (r.started_at > ? OR (r.started_at = ? AND r.id > ?))")
        params += [before.started_at, before.started_at, before.started_at, before.id]
        sql = (
            "SELECT r.*, c.name AS camera_name, c.owner_id AS owner_id"  # noqa: S608
            " FROM recordings r JOIN cameras c ON c.id = r.camera_id"
            f" WHERE {' AND '.join(where)} ORDER BY r.started_at, r.id LIMIT 1"
        )
        for row in db.query(sql, params):
            if best is None or (row["started_at"], row["id"]) < (best["started_at"], best["id"]):
                best = row
    return best


def mark_reviewed(db: sqlite_utils.Database, flt: RecordingFilter, reviewed_at: str) -> int:
    """Mark every unreviewed recording that ``flt`` matches as reviewed; returns how many."""
    unreviewed = RecordingFilter(**{**flt.__dict__, "reviewed": False})
    changed = 0
    with atomic(db):
        for camera_id in _owner_camera_ids(db, unreviewed):
            where, params = _where(db, unreviewed, camera_id)
            cursor = db.execute(
                "UPDATE recordings AS r SET reviewed_at = ?"  # noqa: S608 - clauses are ours
                f" WHERE {' AND '.join(where)}",
                [reviewed_at, *params],
            )
            changed += cursor.rowcount
            count_reviewed(db, [(camera_id, cursor.rowcount)])
    return changed


def set_reviewed(
    db: sqlite_utils.Database, recording_ids: list[int], reviewed_at: str | None
) -> None:
    """Mark recordings reviewed at ``reviewed_at`` (kept if already reviewed), or unreviewed
    with None."""
    if not recording_ids:
        return
    marks = ", ".join("?" for _ in recording_ids)
    with atomic(db):
        # Which of them change, per camera, for the unreviewed totals.
        changing = db.execute(
            "SELECT camera_id, count(*) FROM recordings"  # noqa: S608 - marks
            f" WHERE id IN ({marks}) AND reviewed_at IS {'NOT ' if reviewed_at is None else ''}NULL"
            " GROUP BY camera_id",
            recording_ids,
        ).fetchall()
        sign = -1 if reviewed_at is None else 1
        count_reviewed(db, [(camera_id, sign * count) for camera_id, count in changing])
        if reviewed_at is None:
            db.execute(
                f"UPDATE recordings SET reviewed_at = NULL WHERE id IN ({marks})",  # noqa: S608
                recording_ids,
            )
        else:
            db.execute(
                "UPDATE recordings SET reviewed_at = coalesce(reviewed_at, ?)"  # noqa: S608
                f" WHERE id IN ({marks})",
                [reviewed_at, *recording_ids],
            )


def unreviewed_count(db: sqlite_utils.Database, owner_id: int) -> int:
    """The owner's recordings nobody opened yet (a running total: counting them read up to
    every row of the account on each page)."""
    return account_totals(db, owner_id)["unreviewed"]
