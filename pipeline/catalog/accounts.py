"""What a customer does with their own account: registration, e-mail, mail preferences,
pausing, exporting and deleting it. Logins themselves live in `pipeline.catalog.users`."""

from __future__ import annotations

import secrets
import sqlite3
from typing import Any

import sqlite_utils

from pipeline.catalog import AlreadyExists, NotFound, atomic, utcnow
from pipeline.catalog.users import User, add_user, get_user

ACTIVE = "active"
PAUSED = "paused"

# Mail kinds a user may switch off, and the users column that holds the choice.
MAIL_KINDS = {"alarms": "mail_alarms", "fairuse": "mail_fairuse"}

# Never part of an export: they are secrets, not data about the person.
_SECRET_COLUMNS = {"password_hash", "mail_optout_key"}


def register_user(db: sqlite_utils.Database, email: str, password: str) -> User:
    """A self-registered account; it cannot log in until its e-mail address is confirmed."""
    user = add_user(db, email, password)
    with atomic(db):
        db.execute("UPDATE users SET needs_confirmation = 1 WHERE id = ?", [user["id"]])
    return get_user(db, user["id"])


def confirm_email(db: sqlite_utils.Database, user_id: int) -> None:
    with atomic(db):
        db.execute("UPDATE users SET needs_confirmation = 0 WHERE id = ?", [user_id])


def change_email(db: sqlite_utils.Database, user_id: int, new_email: str) -> None:
    new_email = new_email.strip()
    if "@" not in new_email or len(new_email) > 254:
        raise ValueError("not an e-mail address")
    try:
        with atomic(db):
            db.execute("UPDATE users SET email = ? WHERE id = ?", [new_email, user_id])
    except sqlite3.IntegrityError:
        raise AlreadyExists("a user with that e-mail exists already") from None


def set_account_state(db: sqlite_utils.Database, user_id: int, state: str) -> None:
    """``paused``: uploads are refused and nothing is processed; everything stays stored."""
    if state not in (ACTIVE, PAUSED):
        raise ValueError(f"unknown account state {state!r}")
    with atomic(db):
        db.execute("UPDATE users SET state = ? WHERE id = ?", [state, user_id])


def set_mail_preferences(db: sqlite_utils.Database, user_id: int, **choices: bool) -> None:
    """``set_mail_preferences(db, 3, alarms=True, fairuse=False)``."""
    unknown = set(choices) - set(MAIL_KINDS)
    if unknown:
        raise ValueError(f"unknown mail kinds {sorted(unknown)}")
    if not choices:
        return
    assignments = ", ".join(f"{MAIL_KINDS[kind]} = ?" for kind in choices)
    with atomic(db):
        db.execute(
            f"UPDATE users SET {assignments} WHERE id = ?",  # noqa: S608 - names are ours
            [int(bool(value)) for value in choices.values()] + [user_id],
        )


def mail_optout_key(db: sqlite_utils.Database, user_id: int) -> str:
    """The secret in a user's one-click opt-out links (made on first use, then stable)."""
    with atomic(db):
        row = db.execute("SELECT mail_optout_key FROM users WHERE id = ?", [user_id]).fetchone()
        if row is None:
            raise NotFound(f"user {user_id}")
        if row[0]:
            return row[0]
        key = secrets.token_urlsafe(24)
        db.execute("UPDATE users SET mail_optout_key = ? WHERE id = ?", [key, user_id])
        return key


def opt_out_by_key(db: sqlite_utils.Database, key: str, kind: str) -> int | None:
    """Switch off one kind of mail for whoever holds ``key``; returns their id or None."""
    if kind not in MAIL_KINDS or not key:
        return None
    with atomic(db):
        row = db.execute("SELECT id FROM users WHERE mail_optout_key = ?", [key]).fetchone()
        if row is None:
            return None
        db.execute(
            f"UPDATE users SET {MAIL_KINDS[kind]} = 0 WHERE id = ?",  # noqa: S608 - names are ours
            [row[0]],
        )
    return row[0]


def user_file_rows(db: sqlite_utils.Database, user_id: int) -> list[dict[str, Any]]:
    """Every recording row of the user (to remove its files before the rows go)."""
    return list(
        db.query(
            "SELECT r.* FROM recordings r JOIN cameras c ON c.id = r.camera_id"
            " WHERE c.owner_id = ?",
            [user_id],
        )
    )


def delete_account_rows(db: sqlite_utils.Database, user_id: int) -> None:
    """Remove the user and, through ON DELETE CASCADE, every row that hangs on them."""
    with atomic(db):
        db.execute("DELETE FROM users WHERE id = ?", [user_id])


def _without_secrets(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key not in _SECRET_COLUMNS}


def _rows_for_cameras(
    db: sqlite_utils.Database, table: str, camera_ids: list[int]
) -> list[dict[str, Any]]:
    if not camera_ids or table not in db.table_names():
        return []
    marks = ", ".join("?" for _ in camera_ids)
    return list(
        db.query(
            f"SELECT * FROM [{table}] WHERE camera_id IN ({marks}) ORDER BY rowid",  # noqa: S608
            camera_ids,
        )
    )


def export_user_data(db: sqlite_utils.Database, user_id: int) -> dict[str, list | dict]:
    """Everything stored about the user and their clips, as JSON-ready data.

    Tables added later that refer to a camera or a recording (labels, fair-use evidence …)
    are found by their ``camera_id`` / ``recording_id`` column, so the export stays complete.
    """
    user = _without_secrets(get_user(db, user_id))
    cameras = [
        _without_secrets(row)
        for row in db.query("SELECT * FROM cameras WHERE owner_id = ? ORDER BY id", [user_id])
    ]
    camera_ids = [camera["id"] for camera in cameras]
    recording_ids = [
        row["id"] for row in _rows_for_cameras(db, "recordings", camera_ids)
    ]
    export: dict[str, Any] = {"exported_at": utcnow(), "user": user, "cameras": cameras}
    for table in db.table_names():
        if table in ("users", "cameras", "account_tokens") or table.startswith(("_", "sqlite")):
            continue
        columns = set(db[table].columns_dict)
        if "camera_id" in columns:
            export[table] = [_without_secrets(r) for r in _rows_for_cameras(db, table, camera_ids)]
        elif "recording_id" in columns and recording_ids:
            marks = ", ".join("?" for _ in recording_ids)
            export[table] = list(
                db.query(
                    f"SELECT * FROM [{table}] WHERE recording_id IN ({marks})",  # noqa: S608
                    recording_ids,
                )
            )
        elif "user_id" in columns:
            export[table] = list(
                db.query(f"SELECT * FROM [{table}] WHERE user_id = ?", [user_id])  # noqa: S608
            )
    return export


def list_users_with_counts(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """For the admin: users with their number of cameras, recordings and bytes stored."""
    return list(
        db.query(
            "SELECT u.id, u.email, u.is_admin, u.state, u.quota_mb, u.created_at,"
            " u.last_login_at, u.needs_confirmation,"
            " (SELECT count(*) FROM cameras c WHERE c.owner_id = u.id) AS cameras,"
            " (SELECT count(*) FROM recordings r JOIN cameras c ON c.id = r.camera_id"
            "  WHERE c.owner_id = u.id) AS recordings,"
            " (SELECT coalesce(sum(r.size_bytes), 0) FROM recordings r"
            "  JOIN cameras c ON c.id = r.camera_id WHERE c.owner_id = u.id) AS bytes_used"
            " FROM users u ORDER BY u.id"
        )
    )
