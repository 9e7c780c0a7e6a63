"""Customer and admin accounts."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from core.catalog import INTEGRITY_ERRORS, AlreadyExists, NotFound, atomic, utcnow
from core.catalog.tokens import revoke_all_tokens
from core.catalog.web_sessions import end_sessions
from core.email_address import email_address
from core.security import hash_password

User = dict[str, Any]


def add_user(
    db: sqlite_utils.Database, email: str, password: str, *, is_admin: bool = False
) -> User:
    email = email_address(email)
    if len(password) < 8:
        raise ValueError("the password must have at least 8 characters")
    try:
        with atomic(db):
            # Asked first, not left to the UNIQUE constraint: PostgreSQL logs a violation with
            # its key, and anybody can register an address that has an account (the writer
            # lock held here keeps the answer true until the insert).
            if find_user_by_email(db, email) is not None:
                raise AlreadyExists("a user with that e-mail exists already")
            db.table("users").insert(
                {
                    "email": email,
                    "password_hash": hash_password(password),
                    "is_admin": int(is_admin),
                    "created_at": utcnow(),
                }
            )
            user_id = db.execute("SELECT last_insert_rowid()").fetchone()[0]
    except INTEGRITY_ERRORS:
        raise AlreadyExists("a user with that e-mail exists already") from None
    return get_user(db, user_id)


def get_user(db: sqlite_utils.Database, user_id: int) -> User:
    rows = list(db.query("SELECT * FROM users WHERE id = ?", [user_id]))
    if not rows:
        raise NotFound(f"user {user_id}")
    return rows[0]


def find_user_by_email(db: sqlite_utils.Database, email: str) -> User | None:
    rows = list(db.query("SELECT * FROM users WHERE email = ?", [email.strip()]))
    return rows[0] if rows else None


def list_users(db: sqlite_utils.Database) -> list[User]:
    return list(db.query("SELECT * FROM users ORDER BY id"))


def set_password(db: sqlite_utils.Database, user_id: int, password: str) -> int:
    """A new password; every web session and API token of the account ends with it, since
    changing the password is how an owner shuts out whoever else had access. Returns the
    tokens revoked. (The web UI starts a new session for the browser that changed it.)"""
    if len(password) < 8:
        raise ValueError("the password must have at least 8 characters")
    with atomic(db):
        _store_hash(db, user_id, password)
        end_sessions(db, user_id)
        return revoke_all_tokens(db, user_id)


def rehash_password(db: sqlite_utils.Database, user_id: int, password: str) -> None:
    """The same password under the current hash parameters (after a login proved it)."""
    with atomic(db):
        _store_hash(db, user_id, password)


def _store_hash(db: sqlite_utils.Database, user_id: int, password: str) -> None:
    db.execute(
        "UPDATE users SET password_hash = ? WHERE id = ?", [hash_password(password), user_id]
    )


def record_login(db: sqlite_utils.Database, user_id: int) -> None:
    with atomic(db):
        db.execute("UPDATE users SET last_login_at = ? WHERE id = ?", [utcnow(), user_id])


def set_user_language(
    db: sqlite_utils.Database, user_id: int, language: str, *, only_if_unset: bool = False
) -> bool:
    """Store the language ``user_id`` reads pages and mails in; with ``only_if_unset`` (the
    browser's, at login) a language the user chose is never overwritten. Returns whether the
    row changed."""
    condition = " AND language IS NULL" if only_if_unset else ""
    with atomic(db):
        cursor = db.execute(
            f"UPDATE users SET language = ? WHERE id = ?{condition}",  # noqa: S608 - ours
            [language, user_id],
        )
    return cursor.rowcount > 0
