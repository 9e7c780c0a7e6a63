"""The rate limits and login bans a cluster shares: sliding-window events, lockouts and the
cameras known to log in from an address (`core.catalog.shared_limits`).

Created on both engines, used only on PostgreSQL: a SQLite catalog serves one node, whose
limits stay where they were (in memory, or ingestd's own SQLite file).
"""

import sqlite_utils

SCHEMA = """
CREATE TABLE limit_events (
    limiter TEXT NOT NULL,
    key TEXT NOT NULL,
    happened_at REAL NOT NULL
);
CREATE INDEX idx_limit_events_key ON limit_events(limiter, key, happened_at);
CREATE INDEX idx_limit_events_age ON limit_events(limiter, happened_at);
CREATE TABLE limit_lockouts (
    limiter TEXT NOT NULL,
    key TEXT NOT NULL,
    locked_until REAL NOT NULL,
    PRIMARY KEY (limiter, key)
);
CREATE TABLE known_camera_logins (
    address TEXT NOT NULL,
    account TEXT NOT NULL,
    known_until REAL NOT NULL,
    PRIMARY KEY (address, account)
)
"""


def apply(db: sqlite_utils.Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)
