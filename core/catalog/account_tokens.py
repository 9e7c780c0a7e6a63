"""One-time tokens behind mailed links (confirm e-mail, reset password, change e-mail).

Only a SHA-256 of each token is stored, so a copy of the catalog cannot be used to take over an
account. A token is consumed by deleting its row: it works once, and never after it expires.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlite_utils

from core.catalog import atomic, utcnow

CONFIRM = "confirm"
RESET = "reset"
CHANGE_EMAIL = "change_email"


@dataclass(frozen=True)
class RedeemedToken:
    user_id: int
    purpose: str
    payload: str | None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    db: sqlite_utils.Database,
    user_id: int,
    purpose: str,
    ttl: timedelta,
    payload: str | None = None,
) -> str:
    """A new token for ``purpose``; earlier tokens of the same purpose for the user are void."""
    token = secrets.token_urlsafe(32)
    expires = (datetime.now(UTC) + ttl).isoformat(timespec="seconds")
    with atomic(db):
        db.execute(
            "DELETE FROM account_tokens WHERE user_id = ? AND purpose = ?", [user_id, purpose]
        )
        db.execute(
            "INSERT INTO account_tokens (token_hash, user_id, purpose, payload, created_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            [_digest(token), user_id, purpose, payload, utcnow(), expires],
        )
    return token


def redeem_token(db: sqlite_utils.Database, token: str, purpose: str) -> RedeemedToken | None:
    """Use up ``token``; None if it is unknown, for another purpose, used or expired."""
    with atomic(db):
        row = db.execute(
            "SELECT user_id, payload, expires_at FROM account_tokens"
            " WHERE token_hash = ? AND purpose = ?",
            [_digest(token), purpose],
        ).fetchone()
        if row is None:
            return None
        db.execute("DELETE FROM account_tokens WHERE token_hash = ?", [_digest(token)])
    user_id, payload, expires_at = row
    if expires_at < utcnow():
        return None
    return RedeemedToken(user_id, purpose, payload)


def peek_token(db: sqlite_utils.Database, token: str, purpose: str) -> int | None:
    """The user id a valid token belongs to, without using it up (to show a form first)."""
    row = db.execute(
        "SELECT user_id FROM account_tokens WHERE token_hash = ? AND purpose = ?"
        " AND expires_at >= ?",
        [_digest(token), purpose, utcnow()],
    ).fetchone()
    return row[0] if row else None


def void_tokens(db: sqlite_utils.Database, user_id: int, purpose: str | None = None) -> None:
    with atomic(db):
        if purpose is None:
            db.execute("DELETE FROM account_tokens WHERE user_id = ?", [user_id])
        else:
            db.execute(
                "DELETE FROM account_tokens WHERE user_id = ? AND purpose = ?", [user_id, purpose]
            )
