"""Detection switches of cameras and detection results of recordings.

Results of a recording are replaced as a whole: a re-run (``alarmvault recordings redetect``)
deletes the old rows in the same transaction that writes the new ones, so nothing is
duplicated and a reader never sees half of each.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlite_utils

from core.catalog import NotFound, atomic, utcnow, values_by_recording
from core.catalog.activity import count_relabelled, labels_of
from core.catalog.plates import delete_plate_reads, store_plate_reads
from core.detection.results import ClipDetections, DetectionSwitches

RESULT_TABLES = ("recording_labels", "detection_boxes", "plate_crops", "detection_runs")


def set_detection_switches(
    db: sqlite_utils.Database, camera_id: int, switches: DetectionSwitches
) -> None:
    with atomic(db):
        cursor = db.execute(
            "UPDATE cameras SET detect_objects = ?, detect_plates = ?, detect_rain = ?,"
            " detect_false_alarm = ? WHERE id = ?",
            [
                int(switches.objects),
                int(switches.plates),
                int(switches.rain),
                int(switches.false_alarm),
                camera_id,
            ],
        )
        if cursor.rowcount == 0:
            raise NotFound(f"camera {camera_id}")


def get_detection_switches(db: sqlite_utils.Database, camera_id: int) -> DetectionSwitches:
    row = db.execute(
        "SELECT detect_objects, detect_plates, detect_rain, detect_false_alarm"
        " FROM cameras WHERE id = ?",
        [camera_id],
    ).fetchone()
    if row is None:
        raise NotFound(f"camera {camera_id}")
    return DetectionSwitches(*(bool(value) for value in row))


def _relative(path: Path | None, root: Path | None) -> str | None:
    if path is None:
        return None
    if root is not None:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    return str(path)


def store_detection_results(
    db: sqlite_utils.Database,
    recording_id: int,
    result: ClipDetections,
    *,
    files_root: Path | None = None,
) -> None:
    """Replace every detection row of ``recording_id`` with ``result``.

    File paths are stored relative to ``files_root`` (the thumbs root) when it is given, like
    ``recordings.thumb_path``. Joins the caller's transaction if there is one.
    """
    with atomic(db):
        if db.execute("SELECT 1 FROM recordings WHERE id = ?", [recording_id]).fetchone() is None:
            raise NotFound(f"recording {recording_id}")
        delete_detection_results(db, recording_id)
        cause = result.false_alarm_cause
        db.table("recording_labels").insert_all(
            {
                "recording_id": recording_id,
                "label": hit.label,
                "best_score": round(hit.best_score, 4),
                "first_s": round(hit.first_s, 3),
                "last_s": round(hit.last_s, 3),
                "frames": hit.frames,
                "detail": cause if hit.label == "false_alarm" else None,
            }
            for hit in result.labels
        )
        count_relabelled(db, recording_id, set(), {hit.label for hit in result.labels})
        db.table("detection_boxes").insert_all(
            {
                "recording_id": recording_id,
                "t_s": frame.t_s,
                "keyframe": int(frame.keyframe),
                "label": box.label,
                "class_name": box.class_name,
                "score": round(box.score, 4),
                **dict(zip(("x1", "y1", "x2", "y2"), (round(v, 1) for v in box.xyxy), strict=True)),
            }
            for frame in result.frames
            for box in frame.boxes
        )
        db.table("plate_crops").insert_all(
            {
                "recording_id": recording_id,
                "t_s": plate.t_s,
                "score": round(plate.score, 4),
                **dict(
                    zip(("x1", "y1", "x2", "y2"), (round(v, 1) for v in plate.xyxy), strict=True)
                ),
                "path": _relative(plate.path, files_root),
                "text": plate.text,
                "text_score": plate.text_score,
                "track": plate.track,
            }
            for plate in result.plates
        )
        store_plate_reads(
            db,
            recording_id,
            (
                {
                    "track": read.track,
                    "text": read.text,
                    "score": read.score,
                    "t_s": read.t_s,
                    "crop_path": _relative(result.plates[read.crop_index].path, files_root),
                }
                for read in result.plate_reads
            ),
        )
        db.table("detection_runs").insert(
            {
                "recording_id": recording_id,
                "analyzed_at": utcnow(),
                "switches": ",".join(result.switches.names()),
                "model": result.model,
                "keyframes": result.keyframes_analysed,
                "extra_frames": result.extra_frames_analysed,
                "detector_runs": result.detector_runs,
                "rain_score": result.rain_score,
                "false_alarm_cause": cause,
                "elapsed_ms": result.elapsed_ms,
            }
        )
        db.execute(
            "UPDATE recordings SET best_frame_path = ?, preview_path = ? WHERE id = ?",
            [
                _relative(result.best_frame_path, files_root),
                _relative(result.preview_path, files_root),
                recording_id,
            ],
        )


def delete_detection_results(db: sqlite_utils.Database, recording_id: int) -> None:
    with atomic(db):
        count_relabelled(db, recording_id, labels_of(db, recording_id), set())
        for table in RESULT_TABLES:
            db.execute(f"DELETE FROM {table} WHERE recording_id = ?", [recording_id])  # noqa: S608
        delete_plate_reads(db, recording_id)
        db.execute(
            "UPDATE recordings SET best_frame_path = NULL, preview_path = NULL WHERE id = ?",
            [recording_id],
        )


def labels_by_recording(
    db: sqlite_utils.Database, recording_ids: Iterable[int]
) -> dict[int, list[str]]:
    """Label names per recording (sorted), for listings."""
    return values_by_recording(
        db,
        "SELECT recording_id, label FROM recording_labels"
        " WHERE recording_id IN ({marks}) ORDER BY label",
        recording_ids,
    )


def recording_labels(db: sqlite_utils.Database, recording_id: int) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT label, best_score, first_s, last_s, frames, detail FROM recording_labels"
            " WHERE recording_id = ? ORDER BY label",
            [recording_id],
        )
    )


def detection_boxes(db: sqlite_utils.Database, recording_id: int) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT t_s, keyframe, label, class_name, score, x1, y1, x2, y2 FROM detection_boxes"
            " WHERE recording_id = ? ORDER BY t_s, id",
            [recording_id],
        )
    )


def plate_crops(db: sqlite_utils.Database, recording_id: int) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT t_s, score, x1, y1, x2, y2, path, text, text_score, track FROM plate_crops"
            " WHERE recording_id = ? ORDER BY id",
            [recording_id],
        )
    )


def detection_run(db: sqlite_utils.Database, recording_id: int) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM detection_runs WHERE recording_id = ?", [recording_id]))
    return rows[0] if rows else None


def any_camera_detects(db: sqlite_utils.Database, switch: str | None = None) -> bool:
    """Whether any camera has ``switch`` (or any detection switch) on: then the models must
    load at start."""
    names = DetectionSwitches.NAMES if switch is None else (switch,)
    if not set(names) <= set(DetectionSwitches.NAMES):
        raise ValueError(f"unknown detection switch {switch!r}")
    condition = " OR ".join(f"detect_{name} = 1" for name in names)
    sql = f"SELECT 1 FROM cameras WHERE {condition} LIMIT 1"  # noqa: S608 - names checked
    return db.execute(sql).fetchone() is not None
