"""Camera fingerprints, quarantined clips, the delayed lane, owner notices and fair-use steps."""

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)


# jobs.release_at: when a job in the delayed lane may be processed.
# recordings.lane: the lane a recording came through, so the UI can mark delayed ones.
# notices.dedupe_key: UNIQUE, so "once per day per camera" holds across workers and restarts.
SCHEMA = """
ALTER TABLE jobs ADD COLUMN release_at TEXT;
CREATE INDEX idx_jobs_delayed_release ON jobs(state, release_at);
ALTER TABLE recordings ADD COLUMN lane TEXT NOT NULL DEFAULT 'normal';
CREATE TABLE camera_fingerprints (
    camera_id INTEGER PRIMARY KEY REFERENCES cameras(id) ON DELETE CASCADE,
    samples INTEGER NOT NULL DEFAULT 0,
    fingerprint_json TEXT NOT NULL,
    source_jobs TEXT NOT NULL DEFAULT '[]',
    updated_at TEXT NOT NULL
);
CREATE TABLE quarantined_clips (
    id INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL UNIQUE REFERENCES jobs(id) ON DELETE CASCADE,
    camera_id INTEGER NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    mismatches TEXT NOT NULL DEFAULT '[]',
    quarantined_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX idx_quarantined_clips_expires ON quarantined_clips(expires_at);
CREATE INDEX idx_quarantined_clips_camera ON quarantined_clips(camera_id);
CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    camera_id INTEGER REFERENCES cameras(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    advice TEXT NOT NULL DEFAULT '[]',
    evidence TEXT NOT NULL DEFAULT '{}',
    dedupe_key TEXT UNIQUE,
    created_at TEXT NOT NULL,
    read_at TEXT
);
CREATE INDEX idx_notices_user ON notices(user_id, created_at DESC);
CREATE TABLE fairuse_events (
    id INTEGER PRIMARY KEY,
    camera_id INTEGER NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    rules TEXT NOT NULL DEFAULT '[]',
    evidence TEXT NOT NULL DEFAULT '{}',
    actor TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX idx_fairuse_events_camera ON fairuse_events(camera_id, id DESC)
"""
