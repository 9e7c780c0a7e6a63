"""Plate reading (issue 19): the text on each plate crop, the best reading per vehicle, the
keys plate search looks up, and the plates an owner has named.

Plate text is personal data of other people: it lives only in rows that belong to a recording
(``ON DELETE CASCADE``), so deleting the recording deletes its text, and the account export
finds it through ``recording_id``. ``known_plates`` belong to the owner's account.

``plate_search_keys`` holds, per recording, each read plate's key (look-alikes folded, see
`core.detection.plate_text`) with ``whole = 1`` and every key with one character left out with
``whole = 0``, so a search tolerant to one missing character is an indexed lookup.
"""

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    columns = db["plate_crops"].columns_dict
    if "text" not in columns:
        db.execute("ALTER TABLE plate_crops ADD COLUMN text TEXT")
    if "text_score" not in columns:
        db.execute("ALTER TABLE plate_crops ADD COLUMN text_score REAL")
    if "track" not in columns:
        db.execute("ALTER TABLE plate_crops ADD COLUMN track INTEGER NOT NULL DEFAULT 0")
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)


SCHEMA = """
CREATE TABLE IF NOT EXISTS recording_plates (
    recording_id INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    track INTEGER NOT NULL,
    text TEXT NOT NULL,
    plate_key TEXT NOT NULL,
    score REAL NOT NULL,
    t_s REAL NOT NULL,
    crop_path TEXT,
    PRIMARY KEY (recording_id, track)
);
CREATE TABLE IF NOT EXISTS plate_search_keys (
    recording_id INTEGER NOT NULL REFERENCES recordings(id) ON DELETE CASCADE,
    plate_key TEXT NOT NULL,
    whole INTEGER NOT NULL CHECK (whole IN (0, 1)),
    PRIMARY KEY (plate_key, whole, recording_id)
);
CREATE INDEX IF NOT EXISTS idx_plate_search_keys_recording ON plate_search_keys(recording_id);
CREATE TABLE IF NOT EXISTS known_plates (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    plate_key TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (user_id, plate_key)
)
"""
