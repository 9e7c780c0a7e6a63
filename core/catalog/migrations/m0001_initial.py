"""Users, cameras, the job table (one row per received upload), recordings and rejections."""

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)


SCHEMA = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused')),
    quota_mb INTEGER,
    created_at TEXT NOT NULL,
    last_login_at TEXT
);
CREATE TABLE cameras (
    id INTEGER PRIMARY KEY,
    owner_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    model TEXT NOT NULL,
    username TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    enabled INTEGER NOT NULL DEFAULT 1,
    fairuse_state TEXT NOT NULL DEFAULT 'ok'
        CHECK (fairuse_state IN ('ok', 'warned', 'throttled', 'suspended')),
    created_at TEXT NOT NULL
);
CREATE INDEX idx_cameras_owner ON cameras(owner_id);
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    camera_id INTEGER REFERENCES cameras(id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    lane TEXT NOT NULL DEFAULT 'normal',
    protocol TEXT,
    remote_addr TEXT,
    original_name TEXT,
    size_bytes INTEGER,
    received_at TEXT NOT NULL,
    started_at TEXT,
    updated_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    claimed_by TEXT,
    claimed_at TEXT,
    reason TEXT,
    detail TEXT,
    probe_json TEXT,
    recording_id INTEGER
);
CREATE INDEX idx_jobs_state ON jobs(state);
CREATE INDEX idx_jobs_camera ON jobs(camera_id, received_at);
CREATE TABLE recordings (
    id INTEGER PRIMARY KEY,
    camera_id INTEGER NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    job_id TEXT NOT NULL UNIQUE,
    started_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    duration_s REAL NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    fps REAL NOT NULL,
    frame_count INTEGER NOT NULL,
    codec TEXT NOT NULL,
    container TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    path TEXT NOT NULL,
    thumb_path TEXT,
    original_name TEXT,
    released INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX idx_recordings_camera_started ON recordings(camera_id, started_at DESC, id DESC);
CREATE INDEX idx_recordings_started ON recordings(started_at DESC, id DESC);
CREATE TABLE rejections (
    id INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL UNIQUE,
    camera_id INTEGER REFERENCES cameras(id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    detail TEXT,
    protocol TEXT,
    original_name TEXT,
    size_bytes INTEGER,
    received_at TEXT NOT NULL,
    rejected_at TEXT NOT NULL
);
CREATE INDEX idx_rejections_received ON rejections(received_at DESC)
"""
