"""Scheduled jobs: last run per job, retention days per camera, inactivity warnings,
and the storage statistics the jobs measure for `alarmvault status` and the metrics endpoint."""

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)


# cameras.retention_days NULL: the [schedule] retention_days default applies.
# users.inactivity_warned_at: when the "your account will be deleted" mail went out; cleared
# when the account is used again.
SCHEMA = """
CREATE TABLE scheduled_runs (
    job TEXT PRIMARY KEY,
    last_run_at TEXT,
    last_summary TEXT,
    last_error TEXT,
    last_error_at TEXT
);
ALTER TABLE cameras ADD COLUMN retention_days INTEGER CHECK (retention_days >= 0);
ALTER TABLE users ADD COLUMN inactivity_warned_at TEXT;
CREATE TABLE storage_usage (
    user_id INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    recordings INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    measured_at TEXT NOT NULL
);
CREATE TABLE disk_usage (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    total_bytes INTEGER NOT NULL,
    used_bytes INTEGER NOT NULL,
    free_bytes INTEGER NOT NULL,
    recordings_bytes INTEGER NOT NULL,
    measured_at TEXT NOT NULL
)
"""
