"""Running totals of recordings per camera and per account: count, bytes, unreviewed.

Every view that showed "how much" (dashboard, storage API, admin lists, quota checks, retention
by quota) summed the account's recordings per request, which grows with the table (1.9 s at
1 M recordings). The rows here change in the same transaction as the recordings they count:
`count_added` from `insert_recording`, `count_removed` before recording rows are deleted,
`forget_camera` before a camera's rows go (its ``camera_totals`` row goes by ON DELETE
CASCADE, the account's must shrink by it), `count_reviewed` when the reviewed mark changes. An
account's row goes with the account by ON DELETE CASCADE.

`check_totals` recounts from the recordings and repairs any row that drifted (a recording row
written by hand, a bug): run daily by the upkeep job and by `alarmvault check-totals`. The
same calls keep the activity roll-up and label counts of `core.catalog.activity`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

import sqlite_utils

from core.catalog import ID_CHUNK, activity, atomic, in_marks, read_snapshot

logger = logging.getLogger(__name__)

COUNTERS = ("recordings", "bytes", "unreviewed")

# Upserts that add to a row (ON CONFLICT … DO UPDATE: SQLite 3.24+ and PostgreSQL alike).
_ADD_TO_CAMERA = (
    "INSERT INTO camera_totals (camera_id, recordings, bytes, unreviewed) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (camera_id) DO UPDATE SET"
    " recordings = camera_totals.recordings + excluded.recordings,"
    " bytes = camera_totals.bytes + excluded.bytes,"
    " unreviewed = camera_totals.unreviewed + excluded.unreviewed"
)
_ADD_TO_ACCOUNT = (
    "INSERT INTO account_totals (user_id, recordings, bytes, unreviewed)"
    " SELECT owner_id, ?, ?, ? FROM cameras WHERE id = ?"
    " ON CONFLICT (user_id) DO UPDATE SET"
    " recordings = account_totals.recordings + excluded.recordings,"
    " bytes = account_totals.bytes + excluded.bytes,"
    " unreviewed = account_totals.unreviewed + excluded.unreviewed"
)


def _add(
    db: sqlite_utils.Database, camera_id: int, recordings: int, size: int, unreviewed: int
) -> None:
    db.execute(_ADD_TO_CAMERA, [camera_id, recordings, size, unreviewed])
    db.execute(_ADD_TO_ACCOUNT, [recordings, size, unreviewed, camera_id])


def count_added(db: sqlite_utils.Database, recording: dict[str, Any]) -> None:
    """Inside the caller's transaction: one new recording row of ``recording["camera_id"]``."""
    unreviewed = 1 if recording.get("reviewed_at") is None else 0
    _add(db, recording["camera_id"], 1, int(recording["size_bytes"] or 0), unreviewed)
    activity.count_added(db, recording)


def count_grown(db: sqlite_utils.Database, camera_id: int, size: int) -> None:
    """Inside the caller's transaction: a recording of ``camera_id`` grew by ``size`` bytes
    (a still joined it)."""
    _add(db, camera_id, 0, size, 0)


def count_removed(db: sqlite_utils.Database, recording_ids: Iterable[int]) -> None:
    """Inside the caller's transaction, before the rows of ``recording_ids`` are deleted
    (the activity slots and label counts too)."""
    ids = list(recording_ids)
    activity.count_removed(db, ids)
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        rows = db.execute(
            "SELECT camera_id, count(*), coalesce(sum(size_bytes), 0),"  # noqa: S608 - marks
            " coalesce(sum(CASE WHEN reviewed_at IS NULL THEN 1 ELSE 0 END), 0)"
            f" FROM recordings WHERE id IN ({in_marks(chunk)}) GROUP BY camera_id",
            chunk,
        ).fetchall()
        for camera_id, count, size, unreviewed in rows:
            _add(db, camera_id, -count, -size, -unreviewed)


def count_reviewed(db: sqlite_utils.Database, changes: Iterable[tuple[int, int]]) -> None:
    """Inside the caller's transaction: ``(camera_id, n)`` per camera whose ``n`` recordings
    became reviewed (negative: became unreviewed again)."""
    for camera_id, reviewed in changes:
        if reviewed:
            _add(db, camera_id, 0, 0, -reviewed)


def forget_camera(db: sqlite_utils.Database, camera_id: int) -> None:
    """Inside the caller's transaction, before the camera's row is deleted: its account no
    longer holds what the camera held."""
    row = db.execute(
        "SELECT recordings, bytes, unreviewed FROM camera_totals WHERE camera_id = ?",
        [camera_id],
    ).fetchone()
    if row is not None:
        db.execute(
            "UPDATE account_totals SET recordings = recordings - ?, bytes = bytes - ?,"
            " unreviewed = unreviewed - ?"
            " WHERE user_id = (SELECT owner_id FROM cameras WHERE id = ?)",
            [*row, camera_id],
        )


def account_totals(db: sqlite_utils.Database, user_id: int) -> dict[str, int]:
    """``recordings``, ``bytes`` and ``unreviewed`` of the account (zeros without any)."""
    row = db.execute(
        "SELECT recordings, bytes, unreviewed FROM account_totals WHERE user_id = ?", [user_id]
    ).fetchone()
    return dict(zip(COUNTERS, row or (0, 0, 0), strict=True))


def all_accounts_total(db: sqlite_utils.Database) -> dict[str, int]:
    """Every account's recordings together: ``count`` and ``bytes``."""
    count, size = db.execute(
        "SELECT coalesce(sum(recordings), 0), coalesce(sum(bytes), 0) FROM account_totals"
    ).fetchone()
    return {"count": int(count), "bytes": int(size)}


_RECOUNT = (
    "SELECT count(*), coalesce(sum(size_bytes), 0),"
    " coalesce(sum(CASE WHEN reviewed_at IS NULL THEN 1 ELSE 0 END), 0) FROM recordings"
)
_ACCOUNTS_FROM_CAMERAS = (
    "SELECT u.id, coalesce(sum(t.recordings), 0), coalesce(sum(t.bytes), 0),"
    " coalesce(sum(t.unreviewed), 0) FROM users u LEFT JOIN cameras c ON c.owner_id = u.id"
    " LEFT JOIN camera_totals t ON t.camera_id = c.id GROUP BY u.id"
)


def check_totals(db: sqlite_utils.Database, *, repair: bool = True) -> dict[str, Any]:
    """Recount every camera's and account's totals from the recordings and compare.

    Returns ``cameras`` and ``accounts``: how many rows were wrong (or missing), and ``drift``:
    per wrong row what it said and what it should say. The whole-table count runs in one read
    transaction (a consistent snapshot, writers go on); with ``repair`` each wrong camera is
    then recounted alone (its index range) under the write lock and set, and the accounts are
    set to the sum of their cameras, so a recording that came or went meanwhile is counted
    right. The activity slots and label counts per camera (`core.catalog.activity`) are
    checked and repaired the same way: ``activity`` and ``labels`` say for how many cameras
    they were wrong, their ``drift`` items how many rows of each camera.
    """
    drift: list[dict[str, Any]] = []
    with read_snapshot(db):
        stored = _figures(db, "SELECT camera_id, recordings, bytes, unreviewed FROM camera_totals")
        counted = _figures(
            db,
            "SELECT c.id, coalesce(r.recordings, 0), coalesce(r.bytes, 0),"
            " coalesce(r.unreviewed, 0) FROM cameras c LEFT JOIN (SELECT camera_id,"
            " count(*) AS recordings, sum(size_bytes) AS bytes,"
            " sum(CASE WHEN reviewed_at IS NULL THEN 1 ELSE 0 END) AS unreviewed"
            " FROM recordings GROUP BY camera_id) r ON r.camera_id = c.id",
        )
        owners = dict(db.execute("SELECT id, owner_id FROM cameras").fetchall())
        counted_accounts = {user_id: (0, 0, 0) for (user_id,) in db.execute("SELECT id FROM users")}
        stored_accounts = _figures(
            db, "SELECT user_id, recordings, bytes, unreviewed FROM account_totals"
        )
    for camera_id, figures in counted.items():
        owner = owners[camera_id]
        counted_accounts[owner] = _plus(counted_accounts[owner], figures)
        if stored.get(camera_id, (0, 0, 0)) != figures:
            drift.append(_drift("camera", camera_id, stored.get(camera_id, (0, 0, 0)), figures))
    if not repair:
        for user_id, figures in counted_accounts.items():
            found = stored_accounts.get(user_id, (0, 0, 0))
            if found != figures:
                drift.append(_drift("account", user_id, found, figures))
    else:
        with atomic(db):
            for item in drift:
                if not db.execute("SELECT 1 FROM cameras WHERE id = ?", [item["id"]]).fetchone():
                    continue  # deleted since the count: its row went with it
                recounted = db.execute(_RECOUNT + " WHERE camera_id = ?", [item["id"]]).fetchone()
                _store(db, "camera", item["id"], recounted)
            # Accounts from their (now right) cameras, under the same lock.
            stored_accounts = _figures(
                db, "SELECT user_id, recordings, bytes, unreviewed FROM account_totals"
            )
            for user_id, figures in _figures(db, _ACCOUNTS_FROM_CAMERAS).items():
                found = stored_accounts.get(user_id, (0, 0, 0))
                if found != figures:
                    _store(db, "account", user_id, figures)
                    drift.append(_drift("account", user_id, found, figures))
    cameras = sum(item["kind"] == "camera" for item in drift)
    accounts = len(drift) - cameras
    rollup = activity.check_activity(db, repair=repair)
    if drift:
        logger.warning(
            "running totals drifted: %d camera rows, %d account rows%s",
            cameras,
            accounts,
            " (repaired)" if repair else "",
        )
    return {
        "cameras": cameras,
        "accounts": accounts,
        "activity": rollup["activity"],
        "labels": rollup["labels"],
        "repaired": repair,
        "drift": drift + rollup["drift"],
    }


def _figures(db: sqlite_utils.Database, sql: str) -> dict[int, tuple[int, int, int]]:
    """``{key: (recordings, bytes, unreviewed)}`` from rows of a key and the three figures."""
    return {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in db.execute(sql)}


def _plus(a: tuple[int, int, int], b: tuple[int, int, int]) -> tuple[int, int, int]:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def _drift(kind: str, key: int, stored: Sequence[int], counted: Sequence[int]) -> dict[str, Any]:
    return {
        "kind": kind,
        "id": key,
        "stored": dict(zip(COUNTERS, stored, strict=True)),
        "counted": dict(zip(COUNTERS, counted, strict=True)),
    }


def _store(db: sqlite_utils.Database, kind: str, key: int, figures: Sequence[int]) -> None:
    table, column = (
        ("camera_totals", "camera_id") if kind == "camera" else ("account_totals", "user_id")
    )
    db.execute(
        f"INSERT INTO {table} ({column}, recordings, bytes, unreviewed)"  # noqa: S608 - ours
        f" VALUES (?, ?, ?, ?) ON CONFLICT ({column}) DO UPDATE SET"
        " recordings = excluded.recordings, bytes = excluded.bytes,"
        " unreviewed = excluded.unreviewed",
        [key, *figures],
    )
