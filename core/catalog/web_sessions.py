"""Web sessions kept in the catalog: one row per logged-in browser, revocable at any time.

The browser holds a random 256-bit id (inside the signed session cookie); the catalog holds
its SHA-256, the account, when it was made and last used, the client network (shortened) and a
browser name, so the owner can see and end each one. A session unused for ``idle_days`` is
over.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlite_utils

from core.catalog import atomic, utcnow

WebSession = dict[str, Any]

# Writing last_seen_at on every page would make each page view a write; once a minute is enough.
_TOUCH_EVERY = timedelta(minutes=1)
_PUBLIC_COLUMNS = "SELECT id, user_id, created_at, last_seen_at, network, browser FROM web_sessions"


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def create_session(db: sqlite_utils.Database, user_id: int, *, network: str, browser: str) -> str:
    """A new session of ``user_id``; returns the id for the cookie (stored only hashed)."""
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    with atomic(db):
        db.execute(
            "INSERT INTO web_sessions (user_id, token_hash, created_at, last_seen_at, network,"
            " browser) VALUES (?, ?, ?, ?, ?, ?)",
            [user_id, _hash(session_id), now, now, network, browser[:60]],
        )
    return session_id


def find_session(db: sqlite_utils.Database, session_id: str, idle_days: int) -> WebSession | None:
    """The live session with this id, or None (unknown, ended, or unused for ``idle_days``)."""
    if not session_id or len(session_id) > 100:
        return None
    since = (datetime.now(UTC) - timedelta(days=idle_days)).isoformat(timespec="seconds")
    rows = list(
        db.query(
            _PUBLIC_COLUMNS + " WHERE token_hash = ? AND last_seen_at >= ?",
            [_hash(session_id), since],
        )
    )
    return rows[0] if rows else None


def touch_session(db: sqlite_utils.Database, session: WebSession) -> None:
    """Note that the session was used now (at most one write a minute)."""
    now = datetime.now(UTC)
    if session["last_seen_at"] >= (now - _TOUCH_EVERY).isoformat(timespec="seconds"):
        return
    with atomic(db):
        db.execute(
            "UPDATE web_sessions SET last_seen_at = ? WHERE id = ?",
            [now.isoformat(timespec="seconds"), session["id"]],
        )


def list_sessions(db: sqlite_utils.Database, user_id: int) -> list[WebSession]:
    return list(
        db.query(_PUBLIC_COLUMNS + " WHERE user_id = ? ORDER BY last_seen_at DESC", [user_id])
    )


def end_session(db: sqlite_utils.Database, user_id: int, session_row_id: int) -> bool:
    """End one session of ``user_id`` (by its row id); False if there was none."""
    with atomic(db):
        return (
            db.execute(
                "DELETE FROM web_sessions WHERE id = ? AND user_id = ?", [session_row_id, user_id]
            ).rowcount
            > 0
        )


def end_sessions(db: sqlite_utils.Database, user_id: int) -> int:
    """End every session of the account; returns how many there were."""
    with atomic(db):
        return db.execute("DELETE FROM web_sessions WHERE user_id = ?", [user_id]).rowcount


def delete_idle_sessions(db: sqlite_utils.Database, idle_days: int, now: datetime) -> int:
    """Remove sessions unused for ``idle_days`` (they no longer count anyway)."""
    since = (now - timedelta(days=idle_days)).isoformat(timespec="seconds")
    with atomic(db):
        return db.execute("DELETE FROM web_sessions WHERE last_seen_at < ?", [since]).rowcount
