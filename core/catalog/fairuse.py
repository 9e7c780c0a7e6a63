"""What fair use reads (a camera's accepted clips and labelled recordings in the window) and
writes (the camera's state with every step and its evidence in ``fairuse_events``)."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from core.catalog.states import FairUseState, JobState

# Accepted clips, whether indexed yet or waiting in the delayed lane.
ACCEPTED_JOB_STATES = (
    JobState.VALIDATED,
    JobState.INDEXED,
    JobState.ANALYSING,
    JobState.ANALYSED,
    JobState.DELAYED,
)
_STATE_MARKS = ", ".join("?" for _ in ACCEPTED_JOB_STATES)


def accepted_clips(db: sqlite_utils.Database, camera_id: int, since: str) -> list[dict[str, Any]]:
    """Jobs of accepted clips received since ``since``: id, started_at, duration, recording.
    Snapshots are not clips: a camera sends them with the alarms its clips already count."""
    rows = db.query(
        "SELECT id AS job_id, started_at, received_at, recording_id, probe_json FROM jobs"  # noqa: S608 - marks only
        f" WHERE camera_id = ? AND received_at >= ? AND state IN ({_STATE_MARKS})"
        " ORDER BY started_at",
        [camera_id, since, *ACCEPTED_JOB_STATES],
    )
    # The probe is read here, not in SQL: the engines' JSON functions differ.
    clips = []
    for row in rows:
        probe = _probe(row.pop("probe_json"))
        if probe.get("sniffed") != "jpeg":
            clips.append({**row, "duration_s": _probed_duration(probe)})
    return clips


def _probe(probe_json: str | None) -> dict[str, Any]:
    probe = json.loads(probe_json) if probe_json else None
    return probe if isinstance(probe, dict) else {}


def _probed_duration(probe: dict[str, Any]) -> float | None:
    duration = probe.get("duration_s")
    return float(duration) if isinstance(duration, int | float) else None


def labelled_recordings(
    db: sqlite_utils.Database, camera_id: int, since: str
) -> list[dict[str, Any]]:
    """Recordings received since ``since`` with their labels; snapshot-only recordings are
    never analysed, so they are left out."""
    sql = (
        "SELECT r.id, r.started_at, group_concat(l.label, ',') AS labels FROM recordings r"
        " LEFT JOIN recording_labels l ON l.recording_id = r.id"
        " WHERE r.camera_id = ? AND r.received_at >= ? AND r.kind = 'clip'"
        " GROUP BY r.id ORDER BY r.started_at"
    )
    return [
        {**row, "labels": frozenset(filter(None, (row["labels"] or "").split(",")))}
        for row in db.query(sql, [camera_id, since])
    ]


def record_transition(
    db: sqlite_utils.Database,
    camera_id: int,
    from_state: FairUseState,
    to_state: FairUseState,
    *,
    rules: list[str],
    evidence: dict[str, Any],
    actor: str,
    at: str,
) -> int | None:
    """Set the state if it is still ``from_state`` and store the step, inside the caller's
    transaction; None if the state had changed meanwhile (another worker, an admin)."""
    cursor = db.execute(
        "UPDATE cameras SET fairuse_state = ? WHERE id = ? AND fairuse_state = ?",
        [to_state, camera_id, from_state],
    )
    if cursor.rowcount != 1:
        return None
    db.execute(
        "INSERT INTO fairuse_events (camera_id, from_state, to_state, rules, evidence, actor,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            camera_id,
            from_state,
            to_state,
            json.dumps(rules),
            json.dumps(evidence, sort_keys=True, default=str),
            actor,
            at,
        ],
    )
    return int(db.execute("SELECT last_insert_rowid()").fetchone()[0])


def fairuse_events(
    db: sqlite_utils.Database, camera_id: int, limit: int = 20
) -> list[dict[str, Any]]:
    return [
        {**row, "rules": json.loads(row["rules"]), "evidence": json.loads(row["evidence"])}
        for row in db.query(
            "SELECT * FROM fairuse_events WHERE camera_id = ? ORDER BY id DESC LIMIT ?",
            [camera_id, limit],
        )
    ]


def state_since(db: sqlite_utils.Database, camera_id: int) -> str | None:
    """When the camera entered its current state (None: never left ``ok``)."""
    row = db.execute(
        "SELECT created_at FROM fairuse_events WHERE camera_id = ? ORDER BY id DESC LIMIT 1",
        [camera_id],
    ).fetchone()
    return row[0] if row else None


def cameras_to_evaluate(db: sqlite_utils.Database, since: str) -> list[dict[str, Any]]:
    """Cameras not ``ok`` (they may recover) and cameras with clips in the window."""
    return list(
        db.query(
            "SELECT id, owner_id, fairuse_state FROM cameras WHERE fairuse_state != ?"
            " OR id IN (SELECT DISTINCT camera_id FROM jobs WHERE received_at >= ?) ORDER BY id",
            [FairUseState.OK, since],
        )
    )
