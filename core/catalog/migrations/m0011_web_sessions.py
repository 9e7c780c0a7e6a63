"""Server-side web sessions: the cookie carries a random id, the catalog the session itself.

A logout, "log out everywhere", a new password or a confirmed address deletes rows here, and
the cookie is worth nothing from that moment (a signed cookie alone would replay until it
expires). Only a SHA-256 of the id is stored.
"""

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)


SCHEMA = """
CREATE TABLE web_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    network TEXT,
    browser TEXT
);
CREATE INDEX idx_web_sessions_user ON web_sessions(user_id)
"""
