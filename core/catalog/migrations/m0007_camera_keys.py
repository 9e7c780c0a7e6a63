"""Optional SSH public keys per camera, for SFTP logins without a password."""

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)


SCHEMA = """
CREATE TABLE camera_keys (
    id INTEGER PRIMARY KEY,
    camera_id INTEGER NOT NULL REFERENCES cameras(id) ON DELETE CASCADE,
    key_type TEXT NOT NULL,
    key_base64 TEXT NOT NULL,
    comment TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (camera_id, key_type, key_base64)
);
CREATE INDEX idx_camera_keys_camera ON camera_keys(camera_id)
"""
