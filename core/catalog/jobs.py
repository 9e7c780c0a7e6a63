"""The durable job table: one row per received upload, with the state it has reached.

A clip walks ``received → validated → indexed``, or with detection on ``received → validated →
analysing → analysed`` (visible from ``analysing`` on: labels come after), or ends ``rejected`` /
``quarantined`` / ``delayed``. A claim is one atomic UPDATE, so two workers (or, later, two
machines sharing a database) can never both win the same job.
"""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from core.catalog import NotFound, atomic, utcnow
from core.catalog.states import JobState

Job = dict[str, Any]

# States of a job whose recording is in the catalog (visible to its owner).
VISIBLE_STATES = (JobState.INDEXED, JobState.ANALYSING, JobState.ANALYSED)
# States after which the spool folder holds nothing that is still needed.
FINAL_STATES = frozenset({*VISIBLE_STATES, JobState.REJECTED})
# States a job rests in for good (an ``analysing`` job still waits for its analysis).
DONE_STATES = FINAL_STATES - {JobState.ANALYSING}
# States a worker still has to take further, in the order a clip walks them.
OPEN_STATES = (JobState.RECEIVED, JobState.VALIDATED)


def register_job(db: sqlite_utils.Database, upload: dict[str, Any]) -> Job:
    """Insert the job for a spooled upload unless it exists; returns the stored row."""
    now = utcnow()
    with atomic(db):
        db.execute(
            "INSERT OR IGNORE INTO jobs (id, camera_id, state, protocol, remote_addr,"
            " original_name, size_bytes, received_at, started_at, updated_at, content_sha256)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                upload["upload_id"],
                upload.get("camera_id"),
                JobState.RECEIVED,
                upload.get("protocol"),
                upload.get("remote_addr"),
                upload.get("original_name"),
                upload.get("size_bytes"),
                upload.get("completed_at") or now,
                upload.get("started_at"),
                now,
                upload.get("content_sha256"),
            ],
        )
    return get_job(db, upload["upload_id"])


def earlier_same_upload(db: sqlite_utils.Database, job: Job) -> Job | None:
    """An earlier job of the same camera with the same file name and the same bytes that was
    kept: ``job`` is then a retry (DESIGN.md §1c). Different bytes under the same name are a
    new clip; a job without a hash (spooled by an older ingestd) is never a retry."""
    if not job.get("content_sha256") or job.get("camera_id") is None:
        return None
    # Kept: the earlier job holds (or will hold) the clip, so the retry adds nothing.
    rows = list(
        db.query(
            "SELECT * FROM jobs WHERE camera_id = ? AND original_name = ? AND content_sha256 = ?"
            " AND id != ? AND state IN (?, ?, ?, ?) ORDER BY received_at LIMIT 1",
            [
                job["camera_id"],
                job["original_name"],
                job["content_sha256"],
                job["id"],
                JobState.VALIDATED,
                JobState.INDEXED,
                JobState.DELAYED,
                JobState.QUARANTINED,
            ],
        )
    )
    return rows[0] if rows else None


def get_job(db: sqlite_utils.Database, job_id: str) -> Job:
    rows = list(db.query("SELECT * FROM jobs WHERE id = ?", [job_id]))
    if not rows:
        raise NotFound(f"job {job_id}")
    return rows[0]


def claim_job(db: sqlite_utils.Database, job_id: str, worker: str, stale_after: str) -> bool:
    """Take the job for ``worker`` unless another worker's claim is newer than ``stale_after``."""
    with atomic(db):
        cursor = db.execute(
            "UPDATE jobs SET claimed_by = ?, claimed_at = ?, attempts = attempts + 1"
            " WHERE id = ? AND (claimed_by IS NULL OR claimed_by = ? OR claimed_at < ?)",
            [worker, utcnow(), job_id, worker, stale_after],
        )
        return cursor.rowcount == 1


def release_job(db: sqlite_utils.Database, job_id: str) -> None:
    with atomic(db):
        db.execute("UPDATE jobs SET claimed_by = NULL, claimed_at = NULL WHERE id = ?", [job_id])


def release_claims_of(db: sqlite_utils.Database, worker_prefix: str) -> int:
    """Drop claims left by a previous run of this daemon (it crashed while holding them)."""
    with atomic(db):
        cursor = db.execute(
            "UPDATE jobs SET claimed_by = NULL, claimed_at = NULL WHERE claimed_by LIKE ?",
            [worker_prefix + "%"],
        )
        return cursor.rowcount


def advance_job(
    db: sqlite_utils.Database,
    job_id: str,
    state: JobState,
    *,
    reason: str | None = None,
    detail: str | None = None,
    probe: dict[str, Any] | None = None,
    lane: str | None = None,
    recording_id: int | None = None,
    started_at: str | None = None,
    reset_attempts: bool = False,
) -> None:
    """Move a job to ``state`` (inside the caller's transaction if one is open);
    ``reset_attempts`` starts the count of tries afresh for the next stage."""
    fields: dict[str, Any] = {"state": state, "updated_at": utcnow()}
    if reset_attempts:
        fields["attempts"] = 0
    if reason is not None:
        fields["reason"] = reason
    if detail is not None:
        fields["detail"] = detail
    if probe is not None:
        fields["probe_json"] = json.dumps(probe, sort_keys=True)
    if lane is not None:
        fields["lane"] = lane
    if recording_id is not None:
        fields["recording_id"] = recording_id
    if started_at is not None:
        fields["started_at"] = started_at
    assignments = ", ".join(f"{name} = ?" for name in fields)
    with atomic(db):
        db.execute(f"UPDATE jobs SET {assignments} WHERE id = ?", [*fields.values(), job_id])  # noqa: S608 - names are ours


def count_jobs_by_state(db: sqlite_utils.Database) -> dict[str, int]:
    return {
        row["state"]: row["n"]
        for row in db.query("SELECT state, count(*) AS n FROM jobs GROUP BY state")
    }


def open_jobs(db: sqlite_utils.Database) -> list[Job]:
    placeholders = ", ".join("?" for _ in OPEN_STATES)
    return list(
        db.query(
            f"SELECT * FROM jobs WHERE state IN ({placeholders}) ORDER BY received_at",  # noqa: S608
            list(OPEN_STATES),
        )
    )


def analysis_queue(db: sqlite_utils.Database, limit: int = 8) -> list[Job]:
    """Jobs waiting for analysis, the longest-waiting first (so none waits forever)."""
    return list(
        db.query(
            "SELECT * FROM jobs WHERE state = ? AND claimed_by IS NULL"
            " ORDER BY updated_at, id LIMIT ?",
            [JobState.ANALYSING, limit],
        )
    )
