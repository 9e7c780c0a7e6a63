"""When each scheduled job last ran, so a run missed while the daemon was down is caught up."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from core.catalog import atomic


def last_runs(db: sqlite_utils.Database) -> dict[str, str]:
    """``{job name: ISO time of its last successful run}``."""
    return {
        row["job"]: row["last_run_at"]
        for row in db.query(
            "SELECT job, last_run_at FROM scheduled_runs WHERE last_run_at IS NOT NULL"
        )
    }


def record_run(db: sqlite_utils.Database, job: str, at: str, summary: str) -> None:
    with atomic(db):
        db.execute(
            "INSERT INTO scheduled_runs (job, last_run_at, last_summary) VALUES (?, ?, ?)"
            " ON CONFLICT (job) DO UPDATE SET last_run_at = excluded.last_run_at,"
            " last_summary = excluded.last_summary",
            [job, at, summary],
        )


def record_failure(db: sqlite_utils.Database, job: str, at: str, error: str) -> None:
    """A failed run keeps the last successful time, so the job counts as due at the next start."""
    with atomic(db):
        db.execute(
            "INSERT INTO scheduled_runs (job, last_error, last_error_at) VALUES (?, ?, ?)"
            " ON CONFLICT (job) DO UPDATE SET last_error = excluded.last_error,"
            " last_error_at = excluded.last_error_at",
            [job, error, at],
        )


def list_scheduled_runs(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(db.query("SELECT * FROM scheduled_runs ORDER BY job"))
