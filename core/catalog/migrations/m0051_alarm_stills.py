"""JPEG alarm snapshots kept as stills: the ``stills`` table, the kind of a recording, and the
owner's per-camera switch.

A still belongs to one recording: the clip of the same alarm, or a snapshot-only recording
(``kind = 'snapshot'``) made for stills whose clip never came. Deleting the recording deletes
its still rows (ON DELETE CASCADE; the files go first, `core.removal`). Every existing
recording is a clip and every existing camera keeps its snapshots (the default), so an upgraded
catalog behaves as before except that JPEG uploads are no longer refused.
"""

import sqlite_utils

SCHEMA = """
ALTER TABLE recordings ADD COLUMN kind TEXT NOT NULL DEFAULT 'clip'
    CHECK (kind IN ('clip', 'snapshot'));
ALTER TABLE cameras ADD COLUMN keep_snapshots INTEGER NOT NULL DEFAULT 1;
CREATE TABLE stills (
    id INTEGER PRIMARY KEY,
    recording_id INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    camera_id INTEGER NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    job_id TEXT NOT NULL UNIQUE,
    taken_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    size_bytes INTEGER NOT NULL,
    path TEXT NOT NULL,
    original_name TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX idx_stills_recording ON stills(recording_id, taken_at, id);
CREATE INDEX idx_recordings_camera_kind ON recordings(camera_id, kind, started_at)
"""


def apply(db: sqlite_utils.Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)
