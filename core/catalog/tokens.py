"""Personal API tokens: only a sha256 of each token is stored; the token is shown once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from core.catalog import NotFound, atomic, utcnow

ApiToken = dict[str, Any]

TOKEN_PREFIX = "avt_"  # noqa: S105 - marks AlarmVault tokens in secret scanners, not a secret
SCOPES = ("read", "control")
# Writing last_used_at on every call would make each API read a write; once a minute is enough.
_TOUCH_EVERY = timedelta(minutes=1)


class TooManyTokens(Exception):
    """The account has as many active tokens as it may have."""


def hash_token(token: str) -> str:
    # A 256-bit random token needs no slow hash: nobody can guess it from its sha256.
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_token(
    db: sqlite_utils.Database, user_id: int, name: str, scope: str, *, max_active: int = 20
) -> tuple[ApiToken, str]:
    """A new token for ``user_id``; returns its row and the clear token (shown only once)."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {', '.join(SCOPES)}")
    token = new_token()
    with atomic(db):
        active = db.execute(
            "SELECT count(*) FROM api_tokens WHERE user_id = ? AND revoked_at IS NULL", [user_id]
        ).fetchone()[0]
        if active >= max_active:
            raise TooManyTokens(f"at most {max_active} active tokens per account")
        db.table("api_tokens").insert(
            {
                "user_id": user_id,
                "name": (name or "").strip()[:80] or "API token",
                "token_hash": hash_token(token),
                "hint": token[: len(TOKEN_PREFIX) + 4],
                "scope": scope,
                "created_at": utcnow(),
            }
        )
        token_id = db.execute("SELECT last_insert_rowid()").fetchone()[0]
    return get_token(db, token_id), token


def get_token(db: sqlite_utils.Database, token_id: int) -> ApiToken:
    rows = list(db.query(_PUBLIC_COLUMNS + " WHERE id = ?", [token_id]))
    if not rows:
        raise NotFound(f"api token {token_id}")
    return rows[0]


def list_tokens(db: sqlite_utils.Database, user_id: int | None = None) -> list[ApiToken]:
    if user_id is None:
        return list(db.query(_PUBLIC_COLUMNS + " ORDER BY id"))
    return list(db.query(_PUBLIC_COLUMNS + " WHERE user_id = ? ORDER BY id", [user_id]))


def authenticate_token(db: sqlite_utils.Database, token: str) -> ApiToken | None:
    """The active token row (with the user's state) for a presented token, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    rows = list(
        db.query(
            "SELECT t.id, t.user_id, t.name, t.hint, t.scope, t.created_at, t.last_used_at,"
            " t.revoked_at, u.state AS user_state FROM api_tokens t"
            " JOIN users u ON u.id = t.user_id"
            " WHERE t.token_hash = ? AND t.revoked_at IS NULL",
            [hash_token(token)],
        )
    )
    return rows[0] if rows else None


def is_token_active(db: sqlite_utils.Database, token_id: int) -> bool:
    row = db.execute(
        "SELECT 1 FROM api_tokens WHERE id = ? AND revoked_at IS NULL", [token_id]
    ).fetchone()
    return row is not None


def touch_token(db: sqlite_utils.Database, token_id: int) -> None:
    now = datetime.now(UTC)
    before = (now - _TOUCH_EVERY).isoformat(timespec="seconds")
    with atomic(db):
        db.execute(
            "UPDATE api_tokens SET last_used_at = ? WHERE id = ?"
            " AND (last_used_at IS NULL OR last_used_at < ?)",
            [now.isoformat(timespec="seconds"), token_id, before],
        )


def revoke_token(db: sqlite_utils.Database, token_id: int, user_id: int | None = None) -> bool:
    """Revoke a token (only ``user_id``'s when given); False if there is no such active token."""
    sql = "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"
    params: list[Any] = [utcnow(), token_id]
    if user_id is not None:
        sql += " AND user_id = ?"
        params.append(user_id)
    with atomic(db):
        changed = db.execute(sql, params).rowcount
    return changed > 0


def revoke_all_tokens(db: sqlite_utils.Database, user_id: int) -> int:
    """Revoke every active token of the account; returns how many were active."""
    with atomic(db):
        return db.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL",
            [utcnow(), user_id],
        ).rowcount


_PUBLIC_COLUMNS = (
    "SELECT id, user_id, name, hint, scope, created_at, last_used_at, revoked_at FROM api_tokens"
)
