"""Detection: per-camera switches (all off: opt-in) and per-recording results.

``recording_labels`` is what the web UI filters on; ``detection_boxes`` keeps every analysed
frame's boxes; ``plate_crops`` the stored plate images; ``detection_runs`` one row per analysed
recording (cost, rain score, false-alarm cause). ``recordings.best_frame_path`` is the
thumbnail with boxes drawn, relative to the thumbs root like ``thumb_path``.
"""

import sqlite_utils

SWITCHES = ("objects", "plates", "rain", "false_alarm")


def apply(db: sqlite_utils.Database) -> None:
    for name in SWITCHES:
        db.execute(
            f"ALTER TABLE cameras ADD COLUMN detect_{name} INTEGER NOT NULL DEFAULT 0"
            f" CHECK (detect_{name} IN (0, 1))"
        )
    db.execute("ALTER TABLE recordings ADD COLUMN best_frame_path TEXT")
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)


SCHEMA = """
CREATE TABLE recording_labels (
    recording_id INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    label TEXT NOT NULL
        CHECK (label IN ('person', 'vehicle', 'animal', 'plate', 'rain', 'false_alarm')),
    best_score REAL NOT NULL,
    first_s REAL NOT NULL,
    last_s REAL NOT NULL,
    frames INTEGER NOT NULL DEFAULT 1,
    detail TEXT,
    PRIMARY KEY (recording_id, label)
);
CREATE INDEX idx_recording_labels_label ON recording_labels(label, recording_id);
CREATE TABLE detection_boxes (
    id INTEGER PRIMARY KEY,
    recording_id INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    t_s REAL NOT NULL,
    keyframe INTEGER NOT NULL DEFAULT 1,
    label TEXT NOT NULL,
    class_name TEXT NOT NULL,
    score REAL NOT NULL,
    x1 REAL NOT NULL,
    y1 REAL NOT NULL,
    x2 REAL NOT NULL,
    y2 REAL NOT NULL
);
CREATE INDEX idx_detection_boxes_recording ON detection_boxes(recording_id, t_s);
CREATE TABLE plate_crops (
    id INTEGER PRIMARY KEY,
    recording_id INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    t_s REAL NOT NULL,
    score REAL NOT NULL,
    x1 REAL NOT NULL,
    y1 REAL NOT NULL,
    x2 REAL NOT NULL,
    y2 REAL NOT NULL,
    path TEXT NOT NULL
);
CREATE INDEX idx_plate_crops_recording ON plate_crops(recording_id);
CREATE TABLE detection_runs (
    recording_id INTEGER PRIMARY KEY REFERENCES recordings(id) ON DELETE CASCADE,
    analyzed_at TEXT NOT NULL,
    switches TEXT NOT NULL,
    model TEXT NOT NULL,
    keyframes INTEGER NOT NULL,
    extra_frames INTEGER NOT NULL,
    detector_runs INTEGER NOT NULL,
    rain_score REAL,
    false_alarm_cause TEXT,
    elapsed_ms INTEGER NOT NULL
)
"""
