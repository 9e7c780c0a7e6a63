"""The durable job table: one row per received upload, with the state it has reached.

A clip walks ``received → validated → indexed``, or with detection on ``received → validated →
analysing → analysed`` (visible from ``analysing`` on: labels come after), or ends ``rejected`` /
``quarantined`` / ``delayed``.

A worker claims a job with a lease (``claimed_by``, ``lease_until``): one atomic UPDATE, so two
workers, on one node or on many sharing a PostgreSQL catalog, never both win the same job. A
worker that dies keeps its claim only until the lease runs out; then any worker takes the job
over. `claim_next_job` takes the oldest waiting job that nobody holds; on PostgreSQL with
``FOR UPDATE SKIP LOCKED``, so claimers on many nodes pass each other instead of queueing.

A live worker keeps its leases with `renew_leases` (the pipeline's heartbeat). A worker that
only seemed dead (paused, cut off from the catalog) may come back after another took its job
over: every write that takes a claimed job further names its ``holder`` (`advance_job`) and
raises `ClaimLost` when the job is no longer that worker's, so the transaction that would have
stored the clip a second time is rolled back (fencing).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from core.catalog import (
    NotFound,
    atomic,
    row_locking_statement,
    skip_locked,
    update_alone,
    utcnow,
)
from core.catalog.errors import ClaimLost
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
# How long a claim holds a job without a word from its worker, for claimers that name no lease;
# the pipeline's is `[pipeline] lease_s` (the same by default), kept by its heartbeat.
CLAIM_LEASE_S = 600.0


# Who may claim: nobody holds the job, the claimer itself does, or the holder's lease ran out.
_CLAIMABLE = "(claimed_by IS NULL OR claimed_by = ? OR lease_until < ?)"


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


def lease_end(seconds: float = CLAIM_LEASE_S) -> str:
    """The end of a lease taken now, as the catalog stores times."""
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat(timespec="seconds")


def claim_job(
    db: sqlite_utils.Database, job_id: str, worker: str, lease_s: float = CLAIM_LEASE_S
) -> bool:
    """Take the job for ``worker`` for ``lease_s`` seconds, unless another worker holds it
    under a lease that has not run out."""
    now = utcnow()
    with atomic(db):
        cursor = db.execute(
            "UPDATE jobs SET claimed_by = ?, claimed_at = ?, lease_until = ?,"  # noqa: S608
            f" attempts = attempts + 1 WHERE id = ? AND {_CLAIMABLE}",
            [worker, now, lease_end(lease_s), job_id, worker, now],
        )
        return cursor.rowcount == 1


def claim_next_job(
    db: sqlite_utils.Database, worker: str, state: JobState, lease_s: float = CLAIM_LEASE_S
) -> Job | None:
    """Claim the longest-waiting job in ``state`` that no live lease holds; None if none.
    One statement: on PostgreSQL one round trip, its own transaction."""
    now = utcnow()
    with row_locking_statement(db):
        rows = list(
            db.query(
                "UPDATE jobs SET claimed_by = ?, claimed_at = ?, lease_until = ?,"  # noqa: S608
                " attempts = attempts + 1 WHERE id = (SELECT id FROM jobs"
                f" WHERE state = ? AND {_CLAIMABLE} ORDER BY updated_at, id LIMIT 1"
                f"{skip_locked(db)}) RETURNING *",
                [worker, now, lease_end(lease_s), state, worker, now],
            )
        )
    return rows[0] if rows else None


def renew_leases(
    db: sqlite_utils.Database, workers: list[str], lease_s: float = CLAIM_LEASE_S
) -> int:
    """Extend the leases of every job one of ``workers`` holds, in one write (a daemon's
    heartbeat); returns how many it extended. A job another worker took over meanwhile is not
    touched: its holder is no longer one of ``workers``."""
    if not workers:
        return 0
    placeholders = ", ".join("?" for _ in workers)
    cursor = update_alone(
        db,
        f"UPDATE jobs SET lease_until = ? WHERE claimed_by IN ({placeholders})",  # noqa: S608
        [lease_end(lease_s), *workers],
    )
    return cursor.rowcount


def release_job(db: sqlite_utils.Database, job_id: str, worker: str | None = None) -> None:
    """Give the job back; with ``worker``, only if that worker still holds it (after its lease
    ran out, the job may be another worker's)."""
    holder, values = (" AND claimed_by = ?", [job_id, worker]) if worker else ("", [job_id])
    update_alone(
        db,
        "UPDATE jobs SET claimed_by = NULL, claimed_at = NULL, lease_until = NULL"  # noqa: S608
        f" WHERE id = ?{holder}",
        values,
    )


def uncount_attempt(db: sqlite_utils.Database, job_id: str, worker: str) -> None:
    """Take back the try ``worker``'s claim counted: it ended for want of disk space, not for
    anything in the clip, so it must not bring the job nearer to being given up
    (``MAX_ATTEMPTS``, ``CRASH_LIMIT``)."""
    update_alone(
        db,
        "UPDATE jobs SET attempts = attempts - 1 WHERE id = ? AND claimed_by = ? AND attempts > 0",
        [job_id, worker],
    )


def release_claims_of(db: sqlite_utils.Database, worker_prefix: str) -> int:
    """Drop claims left by a previous run of this daemon (it crashed while holding them)."""
    with atomic(db):
        cursor = db.execute(
            "UPDATE jobs SET claimed_by = NULL, claimed_at = NULL, lease_until = NULL"
            " WHERE claimed_by LIKE ?",
            [worker_prefix + "%"],
        )
        return cursor.rowcount


def fence(db: sqlite_utils.Database, job_id: str, worker: str) -> None:
    """Inside the caller's write transaction: go on only while ``worker`` holds the job,
    `ClaimLost` otherwise. Written (not read), so on PostgreSQL the row stays locked until the
    commit and no claim slips in between this check and the caller's other writes."""
    with atomic(db):
        cursor = db.execute(
            "UPDATE jobs SET claimed_by = claimed_by WHERE id = ? AND claimed_by = ?",
            [job_id, worker],
        )
        if cursor.rowcount != 1:
            raise ClaimLost(job_id, worker)


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
    holder: str | None = None,
) -> None:
    """Move a job to ``state`` (inside the caller's transaction if one is open);
    ``reset_attempts`` starts the count of tries afresh for the next stage.

    With ``holder``, only while that worker still holds the job: a worker whose lease ran out
    may have lost the job to another one, and then its result must not land (ClaimLost, which
    also rolls back the caller's transaction). The check is in the UPDATE itself, so it holds
    against a takeover at any moment: the row's lock orders the two."""
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
    fence, values = (" AND claimed_by = ?", [job_id, holder]) if holder else ("", [job_id])
    cursor = update_alone(
        db,
        f"UPDATE jobs SET {assignments} WHERE id = ?{fence}",  # noqa: S608 - names are ours
        [*fields.values(), *values],
    )
    if holder and cursor.rowcount != 1:
        raise ClaimLost(job_id, holder)


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
    """Jobs waiting for analysis that no live lease holds, the longest-waiting first (so none
    waits forever)."""
    now = utcnow()
    return list(
        db.query(
            "SELECT * FROM jobs WHERE state = ?"
            " AND (claimed_by IS NULL OR lease_until < ?) ORDER BY updated_at, id LIMIT ?",
            [JobState.ANALYSING, now, limit],
        )
    )
