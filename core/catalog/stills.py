"""Stills: JPEG snapshots a camera uploaded with an alarm, kept with the alarm's recording.

A still is filed with the recording of the same alarm: the clip of that camera whose time span
(widened by the window) holds the moment of the snapshot, else a snapshot-only recording of
the same moment, else a new snapshot-only recording. When the clip arrives after its
snapshots, `gather_stills` moves them from their snapshot-only recording to the clip. Both
run inside the caller's `atomic()`, which holds the write lock, so a clip and its snapshot
handled at the same moment by two workers still end up together.

A recording's ``size_bytes`` counts its stills too: quota, retention and storage figures add
up ``recordings.size_bytes`` and so count every byte an alarm occupies.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import sqlite_utils

from core.catalog import ID_CHUNK, NotFound, in_marks, utcnow, values_by_recording
from core.catalog.recordings import insert_recording
from core.catalog.states import RecordingKind
from core.catalog.times import iso, parse_iso
from core.catalog.totals import count_grown, count_removed

Still = dict[str, Any]

# What a snapshot-only recording says about "its video": nothing moves in a still.
SNAPSHOT_CODEC = "jpeg"


def file_still(
    db: sqlite_utils.Database, still: dict[str, Any], *, window_s: float, longest_clip_s: float
) -> tuple[int, bool]:
    """Store the still row and add its bytes to the alarm's recording, made if needed; returns
    (recording id, whether that is the snapshot-only recording made for this still, which then
    uses the still's poster). A repeat for the same job is a no-op. ``still`` holds the
    `stills` columns but ``recording_id``, and ``thumb_path``."""
    known = db.execute(
        "SELECT s.recording_id, r.job_id FROM stills s JOIN recordings r ON r.id = s.recording_id"
        " WHERE s.job_id = ?",
        [still["job_id"]],
    ).fetchone()
    if known is not None:
        return int(known[0]), known[1] == still["job_id"]
    recording = _alarm_recording(
        db, still["camera_id"], still["taken_at"], window_s, longest_clip_s
    )
    made = recording is None
    if recording is None:
        recording_id = insert_recording(
            db,
            {
                "camera_id": still["camera_id"],
                "job_id": still["job_id"],
                "kind": RecordingKind.SNAPSHOT,
                "started_at": still["taken_at"],
                "received_at": still["received_at"],
                "duration_s": 0.0,
                "width": still["width"],
                "height": still["height"],
                "fps": 0.0,
                "frame_count": 1,
                "codec": SNAPSHOT_CODEC,
                "container": SNAPSHOT_CODEC,
                "size_bytes": still["size_bytes"],
                "path": still["path"],
                "thumb_path": still.get("thumb_path"),
                "original_name": still.get("original_name"),
            },
        )
    else:
        recording_id = int(recording["id"])
        db.execute(
            "UPDATE recordings SET size_bytes = size_bytes + ? WHERE id = ?",
            [still["size_bytes"], recording_id],
        )
        count_grown(db, still["camera_id"], int(still["size_bytes"]))
    db.table("stills").insert(
        {
            "recording_id": recording_id,
            "camera_id": still["camera_id"],
            "job_id": still["job_id"],
            "taken_at": still["taken_at"],
            "received_at": still["received_at"],
            "width": still["width"],
            "height": still["height"],
            "size_bytes": still["size_bytes"],
            "path": still["path"],
            "original_name": still.get("original_name"),
            "created_at": utcnow(),
        }
    )
    return recording_id, made


def _alarm_recording(
    db: sqlite_utils.Database,
    camera_id: int,
    taken_at: str,
    window_s: float,
    longest_clip_s: float,
) -> dict[str, Any] | None:
    """The camera's recording of the alarm at ``taken_at``: a clip before a snapshot-only one,
    then the one that starts closest to it."""
    moment = parse_iso(taken_at)
    window = timedelta(seconds=window_s)
    candidates = db.query(
        "SELECT id, kind, started_at, duration_s FROM recordings"
        " WHERE camera_id = ? AND started_at >= ? AND started_at <= ?",
        [camera_id, iso(moment - window - timedelta(seconds=longest_clip_s)), iso(moment + window)],
    )
    fitting = [
        row
        for row in candidates
        if parse_iso(row["started_at"]) - window
        <= moment
        <= parse_iso(row["started_at"]) + timedelta(seconds=row["duration_s"]) + window
    ]
    if not fitting:
        return None
    return min(
        fitting,
        key=lambda row: (
            row["kind"] != RecordingKind.CLIP,
            abs((parse_iso(row["started_at"]) - moment).total_seconds()),
        ),
    )


def gather_stills(
    db: sqlite_utils.Database, clip: dict[str, Any], *, window_s: float
) -> list[dict[str, Any]]:
    """Move the stills of snapshot-only recordings of the clip's alarm (same camera, within the
    window of its time span) to the clip, inside the caller's transaction; returns the
    snapshot-only recordings removed (their poster files are the caller's to delete)."""
    start = parse_iso(clip["started_at"])
    window = timedelta(seconds=window_s)
    end = start + timedelta(seconds=clip["duration_s"])
    merged = list(
        db.query(
            "SELECT id, size_bytes, thumb_path, path FROM recordings"
            " WHERE camera_id = ? AND kind = ? AND started_at >= ? AND started_at <= ?",
            [clip["camera_id"], RecordingKind.SNAPSHOT, iso(start - window), iso(end + window)],
        )
    )
    for snapshot in merged:
        db.execute(
            "UPDATE stills SET recording_id = ? WHERE recording_id = ?",
            [clip["id"], snapshot["id"]],
        )
        db.execute(
            "UPDATE jobs SET recording_id = ? WHERE recording_id = ?",
            [clip["id"], snapshot["id"]],
        )
        db.execute(
            "UPDATE recordings SET size_bytes = size_bytes + ? WHERE id = ?",
            [snapshot["size_bytes"], clip["id"]],
        )
        count_grown(db, clip["camera_id"], int(snapshot["size_bytes"]))
        count_removed(db, [snapshot["id"]])
        db.execute("DELETE FROM recordings WHERE id = ?", [snapshot["id"]])
    return merged


def stills_of(db: sqlite_utils.Database, recording_id: int) -> list[Still]:
    """The recording's stills in the order they were taken."""
    return list(
        db.query(
            "SELECT * FROM stills WHERE recording_id = ? ORDER BY taken_at, id", [recording_id]
        )
    )


def get_still(db: sqlite_utils.Database, recording_id: int, still_id: int) -> Still:
    """One still of the recording (a still of another recording is not found)."""
    rows = list(
        db.query("SELECT * FROM stills WHERE id = ? AND recording_id = ?", [still_id, recording_id])
    )
    if not rows:
        raise NotFound(f"still {still_id} of recording {recording_id}")
    return rows[0]


def attach_stills(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> None:
    """Set each recording row's ``stills`` (in the order taken), in chunked queries."""
    ids = [row["id"] for row in rows]
    found: dict[int, list[Still]] = {recording_id: [] for recording_id in ids}
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start : start + ID_CHUNK]
        for still in db.query(
            f"SELECT * FROM stills WHERE recording_id IN ({in_marks(chunk)})"  # noqa: S608
            " ORDER BY taken_at, id",
            chunk,
        ):
            found[still["recording_id"]].append(still)
    for row in rows:
        row["stills"] = found[row["id"]]


def still_paths(db: sqlite_utils.Database, recording_ids: Iterable[int]) -> dict[int, list[str]]:
    """The stills' file paths per recording (every id present), to delete with it."""
    return values_by_recording(
        db,
        "SELECT recording_id, path FROM stills WHERE recording_id IN ({marks}) ORDER BY id",
        recording_ids,
    )


def still_counts(db: sqlite_utils.Database, recording_ids: Iterable[int]) -> dict[int, int]:
    """How many stills each recording has (for lists)."""
    return {
        recording_id: len(ids)
        for recording_id, ids in values_by_recording(
            db,
            "SELECT recording_id, id FROM stills WHERE recording_id IN ({marks})",
            recording_ids,
        ).items()
    }
