"""Alarms per camera and quarter hour by what they showed (the activity strips), and
recordings per camera and label (which cameras a label filter has to read at all).

The recordings page across all of an account's cameras drew its strips from every alarm of the
days shown (~15 k a day for 42 busy cameras: 0.3-1.5 s at 1 M recordings), and a label filter
walked every row of the cameras that never saw the label. Like the running totals
(`core.catalog.totals`, which calls in here), these rows change in the transaction that changes
what they count: a new recording is one ``motion`` alarm of its slot (no labels yet), new or
removed detection results move it to what it showed and count its labels (`count_relabelled`),
recordings about to be deleted are taken off (`count_removed`), a camera whose recordings were
re-filed in time is counted again (`count_moved`); a camera's rows go with it by ON DELETE
CASCADE. `check_activity` recounts both from the recordings and repairs what drifted;
`check_totals` (the upkeep job, `alarmvault check-totals`) runs it.

Slots are quarter hours of UTC as text, ``YYYY-MM-DDTHH:MM`` with MM one of 00/15/30/45, cut
from ``started_at`` (stored as UTC ISO text) the same way in Python and in SQL: every time
zone's offset is a whole number of quarter hours, so a viewer's local hour is always four whole
slots (UTC hours would not be for India's +05:30 or Nepal's +05:45).
"""

from __future__ import annotations

import itertools
import logging
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from enum import StrEnum
from typing import Any

import sqlite_utils

from core.catalog import ID_CHUNK, atomic, in_marks, read_snapshot

logger = logging.getLogger(__name__)


class Seen(StrEnum):
    """What an alarm showed, for the strip's colours; one per recording, the most telling.
    The values are also the counting columns of ``camera_activity``."""

    PERSON = "person"
    VEHICLE = "vehicle"
    ANIMAL = "animal"
    FALSE_ALARM = "false_alarm"
    MOTION = "motion"  # not analysed, or nothing the detector names


# Most telling first; each is a label name of ``recording_labels``.
_TELLING = (Seen.PERSON, Seen.VEHICLE, Seen.ANIMAL, Seen.FALSE_ALARM)


def seen_in(labels: Iterable[str]) -> Seen:
    present = set(labels)
    for seen in _TELLING:
        if seen.value in present:
            return seen
    return Seen.MOTION


def slot_of(started_at: str) -> str:
    """The UTC quarter hour of a stored time, as `SLOT_OF_STARTED` cuts it in SQL."""
    minute = started_at[14:16]
    quarter = "00" if minute < "15" else "15" if minute < "30" else "30" if minute < "45" else "45"
    return started_at[:14] + quarter


SLOT_OF_STARTED = (
    "substr(r.started_at, 1, 14) || CASE WHEN substr(r.started_at, 15, 2) < '15' THEN '00'"
    " WHEN substr(r.started_at, 15, 2) < '30' THEN '15'"
    " WHEN substr(r.started_at, 15, 2) < '45' THEN '30' ELSE '45' END"
)
# Recording ``r``'s Seen as a number, over its labels ``l`` (grouped by recording): 4 person …
# 1 false alarm, 0 motion (`seen_in` in SQL).
_SEEN_RANK = (
    "coalesce(max(CASE l.label WHEN 'person' THEN 4 WHEN 'vehicle' THEN 3 WHEN 'animal' THEN 2"
    " WHEN 'false_alarm' THEN 1 ELSE 0 END), 0)"
)
_COUNT_COLUMNS = ", ".join(
    f"sum(CASE WHEN seen_rank = {rank} THEN 1 ELSE 0 END)" for rank in (4, 3, 2, 1, 0)
)


def _slots_counted(where: str) -> str:
    """``camera_id, slot, counts…`` of the recordings ``r`` that ``where`` picks."""
    # A join grouped by recording, not a subquery per recording: a third of the time on
    # PostgreSQL for a whole-table recount, the same on SQLite.
    return (
        f"SELECT camera_id, slot, {_COUNT_COLUMNS} FROM (SELECT r.camera_id,"  # noqa: S608 - ours
        f" {SLOT_OF_STARTED} AS slot, {_SEEN_RANK} AS seen_rank FROM recordings r"
        f" LEFT JOIN recording_labels l ON l.recording_id = r.id WHERE {where}"
        " GROUP BY r.id, r.camera_id, r.started_at) AS counted GROUP BY camera_id, slot"
    )


def _labels_counted(where: str) -> str:
    """``camera_id, label, recordings`` of the recordings ``r`` that ``where`` picks."""
    return (
        "SELECT r.camera_id, l.label, count(*) FROM recording_labels l"  # noqa: S608 - ours
        f" JOIN recordings r ON r.id = l.recording_id WHERE {where} GROUP BY r.camera_id, l.label"
    )


_COLUMNS = ", ".join(seen.value for seen in Seen)
# Upserts that add to a row (ON CONFLICT … DO UPDATE: SQLite 3.24+ and PostgreSQL alike).
_ADD_TO_COLUMNS = ", ".join(f"{seen} = camera_activity.{seen} + excluded.{seen}" for seen in Seen)
_ADD_TO_SLOT = (
    f"INSERT INTO camera_activity (camera_id, slot, {_COLUMNS})"  # noqa: S608 - names are ours
    f" VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (camera_id, slot) DO UPDATE SET {_ADD_TO_COLUMNS}"
)
_ADD_TO_LABEL = (
    "INSERT INTO camera_labels (camera_id, label, recordings) VALUES (?, ?, ?)"
    " ON CONFLICT (camera_id, label) DO UPDATE SET"
    " recordings = camera_labels.recordings + excluded.recordings"
)
_STORED_SLOTS = f"SELECT camera_id, slot, {_COLUMNS} FROM camera_activity"  # noqa: S608 - ours
_EMPTY_SLOTS = " AND ".join(f"{seen} = 0" for seen in Seen)


def _one(seen: Seen, sign: int = 1) -> list[int]:
    return [sign if kind is seen else 0 for kind in Seen]


def count_added(db: sqlite_utils.Database, recording: dict[str, Any]) -> None:
    """Inside the caller's transaction: a new recording (no labels yet: ``motion``)."""
    slot = slot_of(recording["started_at"])
    db.execute(_ADD_TO_SLOT, [recording["camera_id"], slot, *_one(Seen.MOTION)])


def labels_of(db: sqlite_utils.Database, recording_id: int) -> set[str]:
    return {
        row[0]
        for row in db.execute(
            "SELECT label FROM recording_labels WHERE recording_id = ?", [recording_id]
        )
    }


def count_relabelled(
    db: sqlite_utils.Database, recording_id: int, before: set[str], after: set[str]
) -> None:
    """Inside the caller's transaction: the recording's labels were ``before`` and are
    ``after`` now."""
    if before == after:
        return
    row = db.execute(
        "SELECT camera_id, started_at FROM recordings WHERE id = ?", [recording_id]
    ).fetchone()
    if row is None:
        return
    camera_id, started_at = row
    was, now = seen_in(before), seen_in(after)
    if was is not now:
        moved = [a + b for a, b in zip(_one(was, -1), _one(now), strict=True)]
        db.execute(_ADD_TO_SLOT, [camera_id, slot_of(started_at), *moved])
    for label in sorted(before - after):
        db.execute(_ADD_TO_LABEL, [camera_id, label, -1])
    for label in sorted(after - before):
        db.execute(_ADD_TO_LABEL, [camera_id, label, 1])


def count_removed(db: sqlite_utils.Database, recording_ids: Sequence[int]) -> None:
    """Inside the caller's transaction, before the rows of ``recording_ids`` (and with them
    their labels) are deleted. Slots left without alarms go."""
    for start in range(0, len(recording_ids), ID_CHUNK):
        chunk = list(recording_ids[start : start + ID_CHUNK])
        marks = in_marks(chunk)
        spans: dict[int, tuple[str, str]] = {}
        for camera_id, slot, *counts in db.execute(
            _slots_counted(f"r.id IN ({marks})"), chunk
        ).fetchall():
            db.execute(_ADD_TO_SLOT, [camera_id, slot, *(-int(n) for n in counts)])
            first, last = spans.get(camera_id, (slot, slot))
            spans[camera_id] = (min(first, slot), max(last, slot))
        for camera_id, (first, last) in spans.items():
            db.execute(
                f"DELETE FROM camera_activity WHERE camera_id = ? AND slot >= ?"  # noqa: S608
                f" AND slot <= ? AND {_EMPTY_SLOTS}",
                [camera_id, first, last],
            )
        for camera_id, label, count in db.execute(
            _labels_counted(f"l.recording_id IN ({marks})"), chunk
        ).fetchall():
            db.execute(_ADD_TO_LABEL, [camera_id, label, -int(count)])


def count_moved(db: sqlite_utils.Database, camera_id: int) -> None:
    """Inside the caller's transaction, after recordings of ``camera_id`` moved in time (its
    file-name zone changed): its slots are counted again from its recordings."""
    _recount(db, "camera_activity", [camera_id], _slots_counted, _COLUMNS)


def slot_counts(
    db: sqlite_utils.Database,
    camera_ids: Sequence[int],
    start: str,
    end: str,
    *,
    by_hour: bool = False,
) -> list[Sequence[Any]]:
    """Rows of ``camera_id, slot`` and the counts per Seen (in Seen's order) of the cameras'
    slots from ``start`` (inclusive) to ``end`` (exclusive), both stored-time text on slot
    bounds (a viewer's day or hour). ``by_hour``: summed per UTC hour, the slot named by its
    hour's first (``…THH:00``) — a quarter of the rows for a viewer whose zone is whole
    hours off UTC (a day of 42 cameras: 1 008 rows, not 4 032)."""
    if by_hour:
        slot = "substr(slot, 1, 13) || ':00'"
        # As integers: PostgreSQL sums integers as numeric, which loads slower.
        columns = ", ".join(f"CAST(sum({seen.value}) AS INTEGER)" for seen in Seen)
        grouped = " GROUP BY camera_id, substr(slot, 1, 13)"
    else:
        slot, columns, grouped = "slot", _COLUMNS, ""
    rows: list[Sequence[Any]] = []
    for first in range(0, len(camera_ids), ID_CHUNK):
        chunk = list(camera_ids[first : first + ID_CHUNK])
        rows += db.execute(
            f"SELECT camera_id, {slot}, {columns} FROM camera_activity"  # noqa: S608 - ours
            f" WHERE camera_id IN ({in_marks(chunk)}) AND slot >= ? AND slot < ?{grouped}",
            [*chunk, slot_of(start), slot_of(end)],
        ).fetchall()
    return rows


def check_activity(db: sqlite_utils.Database, *, repair: bool = True) -> dict[str, Any]:
    """Recount every camera's slots and label counts from the recordings and compare.

    Returns ``activity`` and ``labels``: the cameras whose slots or label counts were wrong,
    and ``drift``: per such camera how many of its rows were. Counted in one read snapshot;
    with ``repair`` each wrong camera's rows are then recounted alone under the write lock and
    replaced, so a recording that came or went meanwhile is counted right.
    """
    with read_snapshot(db):
        wrong_slots = _wrong_rows(db, _STORED_SLOTS, _slots_counted("1 = 1"))
        wrong_labels = _wrong_rows(
            db, "SELECT camera_id, label, recordings FROM camera_labels", _labels_counted("1 = 1")
        )
    drift = [
        {"kind": kind, "id": camera_id, "rows": rows}
        for kind, wrong in (("activity", wrong_slots), ("labels", wrong_labels))
        for camera_id, rows in sorted(wrong.items())
    ]
    if repair and drift:
        with atomic(db):
            _recount(db, "camera_activity", sorted(wrong_slots), _slots_counted, _COLUMNS)
            _recount(db, "camera_labels", sorted(wrong_labels), _labels_counted, "recordings")
    if drift:
        logger.warning(
            "activity roll-up drifted: %d cameras' slots, %d cameras' label counts%s",
            len(wrong_slots),
            len(wrong_labels),
            " (repaired)" if repair else "",
        )
    return {"activity": len(wrong_slots), "labels": len(wrong_labels), "drift": drift}


def _wrong_rows(db: sqlite_utils.Database, stored_sql: str, counted_sql: str) -> dict[int, int]:
    """Per camera, how many of its rows differ between what ``stored_sql`` and ``counted_sql``
    find (rows of ``camera_id, key, figures…``; rows at zero count as absent). Both are read
    in camera order and compared a camera at a time: at 10 M recordings there are millions of
    slots, and only one camera's rows are compared in memory at a time."""
    stored = _by_camera(db.execute(stored_sql + " ORDER BY camera_id"))
    counted = _by_camera(db.execute(counted_sql + " ORDER BY camera_id"))
    wrong: dict[int, int] = {}
    done: tuple[int, dict[str, tuple[int, ...]]] = (sys.maxsize, {})  # past every camera
    found, expected = next(stored, done), next(counted, done)
    while (camera_id := min(found[0], expected[0])) != done[0]:
        have = found[1] if found[0] == camera_id else {}
        want = expected[1] if expected[0] == camera_id else {}
        if found[0] == camera_id:
            found = next(stored, done)
        if expected[0] == camera_id:
            expected = next(counted, done)
        differing = sum(have.get(key) != want.get(key) for key in have.keys() | want.keys())
        if differing:
            wrong[camera_id] = differing
    return wrong


def _by_camera(
    rows: Iterable[Sequence[Any]],
) -> Iterator[tuple[int, dict[str, tuple[int, ...]]]]:
    """``(camera_id, {key: figures})`` per camera of rows in camera order, zero rows left out."""
    for camera_id, group in itertools.groupby(rows, key=lambda row: int(row[0])):
        figures = ((str(row[1]), tuple(int(value) for value in row[2:])) for row in group)
        yield camera_id, {key: values for key, values in figures if any(values)}


def _recount(
    db: sqlite_utils.Database,
    table: str,
    camera_ids: list[int],
    counted: Callable[[str], str],
    columns: str,
) -> None:
    """Replace the rows of ``camera_ids`` in ``table`` with a recount (a deleted camera has
    no recordings left, so it gets none)."""
    key = "slot" if table == "camera_activity" else "label"
    for start in range(0, len(camera_ids), ID_CHUNK):
        chunk = camera_ids[start : start + ID_CHUNK]
        marks = in_marks(chunk)
        db.execute(f"DELETE FROM {table} WHERE camera_id IN ({marks})", chunk)  # noqa: S608
        db.execute(
            f"INSERT INTO {table} (camera_id, {key}, {columns}) "
            + counted(f"r.camera_id IN ({marks})"),
            chunk,
        )
