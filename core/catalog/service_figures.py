"""Figures about the running service for admins: `alarmvault status` and the metrics endpoint.

Everything is computed from the catalog, so facts written by ingestd, the pipeline and the web
UI are all visible, whichever process asks.
"""

from __future__ import annotations

from typing import Any, TypedDict

import sqlite_utils

from core.catalog.states import FairUseState, JobState
from core.catalog.totals import all_accounts_total


def clip_counts(db: sqlite_utils.Database) -> dict[str, Any]:
    """Uploads received, accepted (visible: indexed, analysing or analysed) and rejected per
    reason, from the job table."""
    received, accepted = db.execute(
        "SELECT count(*), count(*) FILTER (WHERE state IN (?, ?, ?)) FROM jobs",
        [JobState.INDEXED, JobState.ANALYSING, JobState.ANALYSED],
    ).fetchone()
    rejected = {
        row["reason"]: row["n"]
        for row in db.query(
            "SELECT coalesce(reason, 'unknown') AS reason, count(*) AS n FROM jobs"
            " WHERE state = ? GROUP BY 1 ORDER BY 1",
            [JobState.REJECTED],
        )
    }
    return {"received": received, "accepted": accepted, "rejected": rejected}


class ProcessingSeconds(TypedDict):
    """A Prometheus summary's two numbers: indexed jobs and their seconds in all."""

    count: int
    sum: float


def processing_seconds(db: sqlite_utils.Database) -> ProcessingSeconds:
    """Count and sum of seconds from upload completion to the indexed recording."""
    count, total = db.execute(
        "SELECT count(*), coalesce(sum((julianday(updated_at) - julianday(received_at))"
        " * 86400.0), 0) FROM jobs WHERE state = ?",
        [JobState.INDEXED],
    ).fetchone()
    return {"count": int(count), "sum": max(float(total), 0.0)}


def latest_jobs(db: sqlite_utils.Database, limit: int = 10) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT j.id, j.camera_id, j.state, j.lane, j.reason, j.protocol, j.size_bytes,"
            " j.received_at, j.updated_at, r.id AS recording_id, r.duration_s"
            " FROM jobs j LEFT JOIN recordings r ON r.job_id = j.id"
            " ORDER BY j.received_at DESC, j.id DESC LIMIT ?",
            [limit],
        )
    )


def fair_use_states(db: sqlite_utils.Database) -> dict[str, Any]:
    counts = {
        row["fairuse_state"]: row["n"]
        for row in db.query(
            "SELECT fairuse_state, count(*) AS n FROM cameras GROUP BY 1 ORDER BY 1"
        )
    }
    flagged = list(
        db.query(
            "SELECT id AS camera_id, owner_id, fairuse_state FROM cameras"
            " WHERE fairuse_state != ? ORDER BY id",
            [FairUseState.OK],
        )
    )
    return {"counts": counts, "cameras": flagged}


def recordings_total(db: sqlite_utils.Database) -> dict[str, int]:
    return all_accounts_total(db)


def detector_speed(db: sqlite_utils.Database, recent: int = 200) -> dict[str, float] | None:
    """Timings of the latest ``recent`` analysed clips (detection's ``detection_runs``), or None
    when nothing was analysed. ``ms_per_detector_run`` includes decoding: detection records one
    elapsed time per clip, not the detector's share of it."""
    clips, elapsed, runs = db.execute(
        "SELECT count(*), sum(elapsed_ms), sum(detector_runs) FROM (SELECT elapsed_ms,"
        " detector_runs FROM detection_runs ORDER BY analyzed_at DESC LIMIT ?) AS latest",
        [recent],
    ).fetchone()
    if not clips:
        return None
    return {
        "clips": clips,
        "ms_per_clip": round(elapsed / clips, 1),
        "ms_per_detector_run": round(elapsed / runs, 1) if runs else None,
    }


class AnalysisBacklog(TypedDict):
    """Clips visible but still waiting for detection, and how fast the wait drains."""

    waiting: int
    oldest_wait_s: float | None
    analysed_per_min: float
    window_min: int


def analysis_backlog(db: sqlite_utils.Database, window_min: int = 5) -> AnalysisBacklog:
    """The analysis backlog now: clips waiting (``analysing``), the oldest one's wait since it
    became visible, and clips analysed per minute over the last ``window_min`` minutes."""
    waiting, oldest_s = db.execute(
        "SELECT count(*), max((julianday('now') - julianday(updated_at)) * 86400.0)"
        " FROM jobs WHERE state = ?",
        [JobState.ANALYSING],
    ).fetchone()
    (analysed,) = db.execute(
        "SELECT count(*) FROM jobs WHERE state = ? AND julianday(updated_at) >="
        " julianday('now', ?)",
        [JobState.ANALYSED, f"-{window_min} minutes"],
    ).fetchone()
    return {
        "waiting": int(waiting),
        "oldest_wait_s": round(max(float(oldest_s), 0.0), 1) if oldest_s is not None else None,
        "analysed_per_min": round(analysed / window_min, 2),
        "window_min": window_min,
    }
