"""A per-account counter in every session's stamp: raising it ends all the account's sessions.

For "log out everywhere" and for a confirmed e-mail address, which must not leave alive a
session that someone made before the address's owner proved it was theirs.
"""

import sqlite_utils


def apply(db: sqlite_utils.Database) -> None:
    db.execute("ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0")
