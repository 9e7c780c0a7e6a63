"""Notification targets of kind ``webpush``: one per browser or phone that subscribed to alarms
on the account page. Its push endpoint and keys are sealed in ``sealed_url`` like a webhook's
URL (the endpoint is a capability: whoever knows it can push to the device).

The kind is checked by a CHECK constraint, which no ALTER TABLE can change, so the table is
rebuilt (new table, copy, drop, rename) with every row and id kept; deliveries keep pointing at
their targets because the ids do not change. PostgreSQL can drop and add a named CHECK instead.
"""

import sqlite_utils

from core.catalog import Dialect, dialect_of

REBUILDS_TABLES = True

COLUMNS = (
    "id, user_id, kind, name, camera_id, labels, events, payload_style, sealed_url, url_host,"
    " sealed_secret, enabled, created_at"
)

SCHEMA = f"""
CREATE TABLE notification_targets_rebuilt (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('webhook', 'mqtt', 'email', 'webpush')),
    name TEXT NOT NULL,
    camera_id INTEGER REFERENCES cameras(id) ON DELETE CASCADE,
    labels TEXT NOT NULL DEFAULT '',
    events TEXT NOT NULL DEFAULT 'recording,fairuse',
    payload_style TEXT NOT NULL DEFAULT 'json' CHECK (payload_style IN ('json', 'ifttt')),
    sealed_url TEXT,
    url_host TEXT,
    sealed_secret TEXT,
    enabled INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
INSERT INTO notification_targets_rebuilt ({COLUMNS}) SELECT {COLUMNS} FROM notification_targets;
DROP TABLE notification_targets;
ALTER TABLE notification_targets_rebuilt RENAME TO notification_targets;
CREATE INDEX idx_notification_targets_user ON notification_targets(user_id)
"""  # noqa: S608 - fixed text


POSTGRESQL_SCHEMA = """
ALTER TABLE notification_targets DROP CONSTRAINT notification_targets_kind_check;
ALTER TABLE notification_targets ADD CONSTRAINT notification_targets_kind_check
    CHECK (kind IN ('webhook', 'mqtt', 'email', 'webpush'))
"""


def apply(db: sqlite_utils.Database) -> None:
    schema = POSTGRESQL_SCHEMA if dialect_of(db) is Dialect.POSTGRESQL else SCHEMA
    for statement in schema.split(";\n"):
        if statement.strip():
            db.execute(statement)
