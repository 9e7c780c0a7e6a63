"""API tokens, stored camera access (sealed), alarm settings and notification targets/outbox."""

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)
    # Notifications start with what arrives from now on, not with the whole history.
    db.execute(
        "INSERT INTO notification_watermarks (name, value)"
        " SELECT 'recordings', coalesce(max(id), 0) FROM recordings"
    )
    db.execute(
        "INSERT INTO notification_fairuse_seen (camera_id, state)"
        " SELECT id, fairuse_state FROM cameras"
    )


# Secrets that must be used again (camera login, webhook URL and signing key) are Fernet tokens
# ("sealed"); API tokens are only compared, so only their sha256 is kept.
SCHEMA = """
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    hint TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('read', 'control')),
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX idx_api_tokens_user ON api_tokens(user_id);
CREATE TABLE camera_access (
    camera_id INTEGER PRIMARY KEY REFERENCES cameras(id) ON DELETE CASCADE,
    dialect TEXT NOT NULL CHECK (dialect IN ('fullhd', 'wqhd')),
    sealed TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE camera_alarm_settings (
    camera_id INTEGER PRIMARY KEY REFERENCES cameras(id) ON DELETE CASCADE,
    armed INTEGER NOT NULL DEFAULT 1,
    notify INTEGER NOT NULL DEFAULT 1,
    updated_at TEXT NOT NULL
);
CREATE TABLE notification_targets (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('webhook', 'mqtt', 'email')),
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
CREATE INDEX idx_notification_targets_user ON notification_targets(user_id);
CREATE TABLE notification_deliveries (
    id INTEGER PRIMARY KEY,
    target_id INTEGER NOT NULL REFERENCES notification_targets(id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    event_key TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    UNIQUE (target_id, event_key)
);
CREATE INDEX idx_notification_deliveries_due ON notification_deliveries(state, next_attempt_at);
CREATE TABLE notification_watermarks (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE notification_fairuse_seen (
    camera_id INTEGER PRIMARY KEY REFERENCES cameras(id) ON DELETE CASCADE,
    state TEXT NOT NULL
)
"""
