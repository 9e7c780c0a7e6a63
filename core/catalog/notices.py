"""Notices to camera owners that the web UI shows (long clips, fair-use steps), and who is
told by mail. Addresses are read here for sending only; logs carry user ids."""

from __future__ import annotations

import gettext
import json
from typing import Any

import sqlite_utils

from core.translation import Phrase

Notice = dict[str, Any]


def insert_notice(
    db: sqlite_utils.Database,
    *,
    user_id: int,
    camera_id: int | None,
    kind: str,
    title: str,
    body: str,
    advice: list[str],
    evidence: dict[str, Any],
    created_at: str,
    dedupe_key: str | None = None,
    params: dict[str, Any] | None = None,
) -> int | None:
    """Insert inside the caller's transaction; None when ``dedupe_key`` was used already.

    ``params`` (title, body and advice as `Phrase` JSON) let the notice be worded in the
    reader's language later; ``title``, ``body`` and ``advice`` are the English words."""
    cursor = db.execute(
        "INSERT OR IGNORE INTO notices (user_id, camera_id, kind, title, body, advice, evidence,"
        " dedupe_key, created_at, params) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            user_id,
            camera_id,
            kind,
            title,
            body,
            json.dumps(advice),
            json.dumps(evidence, sort_keys=True, default=str),
            dedupe_key,
            created_at,
            json.dumps(params) if params is not None else None,
        ],
    )
    if cursor.rowcount != 1:
        return None
    return int(db.execute("SELECT last_insert_rowid()").fetchone()[0])


def list_notices(
    db: sqlite_utils.Database,
    *,
    user_id: int | None = None,
    camera_id: int | None = None,
    unread_only: bool = False,
    limit: int = 100,
) -> list[Notice]:
    where, params = [], []
    if user_id is not None:
        where.append("user_id = ?")
        params.append(user_id)
    if camera_id is not None:
        where.append("camera_id = ?")
        params.append(camera_id)
    if unread_only:
        where.append("read_at IS NULL")
    sql = "SELECT * FROM notices" + (" WHERE " + " AND ".join(where) if where else "")  # noqa: S608
    sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
    rows = db.query(sql, [*params, limit])
    return [
        {
            **row,
            "advice": json.loads(row["advice"]),
            "evidence": json.loads(row["evidence"]),
            "params": json.loads(row["params"]) if row.get("params") else None,
        }
        for row in rows
    ]


def worded_notice(notice: Notice, translation: gettext.NullTranslations) -> Notice:
    """The notice with title, body and advice in ``translation``'s language; a notice stored
    before notices had params keeps its English words."""
    params = notice.get("params")
    if not params:
        return notice
    return {
        **notice,
        "title": Phrase.from_json(params["title"]).words(translation),
        "body": Phrase.from_json(params["body"]).words(translation),
        "advice": [Phrase.from_json(item).words(translation) for item in params["advice"]],
    }


def mark_notice_read(db: sqlite_utils.Database, notice_id: int, user_id: int, at: str) -> None:
    db.execute(
        "UPDATE notices SET read_at = ? WHERE id = ? AND user_id = ? AND read_at IS NULL",
        [at, notice_id, user_id],
    )


def camera_owner_contact(db: sqlite_utils.Database, camera_id: int) -> dict[str, Any] | None:
    """The owner's id, address, language and whether they take fair-use mails (on unless
    switched off)."""
    wants = "u.mail_fairuse" if "mail_fairuse" in db.table("users").columns_dict else "1"
    row = db.execute(
        f"SELECT u.id, u.email, {wants}, u.language FROM cameras c"  # noqa: S608 - names are ours
        " JOIN users u ON u.id = c.owner_id WHERE c.id = ?",
        [camera_id],
    ).fetchone()
    if row is None:
        return None
    return {"user_id": row[0], "email": row[1], "mail_fairuse": bool(row[2]), "language": row[3]}


def admin_contacts(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return [
        {"user_id": row["id"], "email": row["email"], "language": row["language"]}
        for row in db.query("SELECT id, email, language FROM users WHERE is_admin = 1 ORDER BY id")
    ]
