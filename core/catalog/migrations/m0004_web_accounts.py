"""Web accounts: e-mail confirmation, mail preferences and one-time tokens for mailed links."""

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)


# needs_confirmation defaults to 0 so that accounts made by an admin (`alarmvault user add`)
# can log in at once; self-registered accounts set it to 1 until the mailed link is opened.
# Mail preferences: fair-use notices are part of the service (on), alarm mails are opt-in (off).
SCHEMA = """
ALTER TABLE users ADD COLUMN needs_confirmation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN mail_alarms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN mail_fairuse INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN mail_optout_key TEXT;
CREATE UNIQUE INDEX idx_users_mail_optout_key ON users(mail_optout_key);
CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('confirm', 'reset', 'change_email')),
    payload TEXT,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX idx_account_tokens_user ON account_tokens(user_id, purpose)
"""
