"""What a customer does with their own account: registration, e-mail, mail preferences,
pausing, exporting and deleting it. Logins themselves live in `core.catalog.users`."""

from __future__ import annotations

import secrets
from collections.abc import Set as AbstractSet
from typing import Any

import sqlite_utils

from core.catalog import (
    INTEGRITY_ERRORS,
    AlreadyExists,
    Dialect,
    NotFound,
    atomic,
    dialect_of,
    utcnow,
)
from core.catalog.states import AccountState
from core.catalog.tokens import revoke_all_tokens
from core.catalog.users import User, add_user, find_user_by_email, get_user
from core.catalog.web_sessions import end_sessions
from core.email_address import email_address

# Mail kinds a user may switch off, and the users column that holds the choice.
MAIL_KINDS = {"alarms": "mail_alarms", "fairuse": "mail_fairuse"}

# An export: "exported_at" (a timestamp), "user" (their row) and each table's rows by name.
UserExport = dict[str, str | dict[str, Any] | list[dict[str, Any]]]

# Never part of an export: they are secrets, not data about the person.
_SECRET_COLUMNS = {"password_hash", "mail_optout_key", "token_hash"}
# … nor any column whose name says it holds one (sealed_url, sealed_secret, key hashes …).
_SECRET_WORDS = ("secret", "hash", "sealed")


def register_user(db: sqlite_utils.Database, email: str, password: str) -> User:
    """A self-registered account; it cannot log in until its e-mail address is confirmed."""
    user = add_user(db, email, password)
    with atomic(db):
        db.execute("UPDATE users SET needs_confirmation = 1 WHERE id = ?", [user["id"]])
    return get_user(db, user["id"])


def confirm_email(db: sqlite_utils.Database, user_id: int) -> None:
    """The owner of the address proved it. Whatever sessions and API tokens the account had
    were made before that, possibly by someone who registered another person's address, so
    they end here (no-ops for an address that was already confirmed)."""
    with atomic(db):
        unconfirmed = db.execute(
            "UPDATE users SET needs_confirmation = 0 WHERE id = ? AND needs_confirmation = 1",
            [user_id],
        ).rowcount
        if unconfirmed:
            revoke_all_tokens(db, user_id)
            end_sessions(db, user_id)


def change_email(db: sqlite_utils.Database, user_id: int, new_email: str) -> None:
    new_email = email_address(new_email)
    try:
        with atomic(db):
            # Asked first (see `add_user`): PostgreSQL would log the taken address.
            holder = find_user_by_email(db, new_email)
            if holder is not None and holder["id"] != user_id:
                raise AlreadyExists("a user with that e-mail exists already")
            db.execute("UPDATE users SET email = ? WHERE id = ?", [new_email, user_id])
            # Logins with the old address end; the web UI starts a new one for this browser.
            end_sessions(db, user_id)
    except INTEGRITY_ERRORS:
        raise AlreadyExists("a user with that e-mail exists already") from None


def set_account_state(db: sqlite_utils.Database, user_id: int, state: AccountState) -> None:
    """``paused``: uploads are refused and nothing is processed; everything stays stored."""
    state = AccountState(state)  # a bare string from a caller: refused unless it is a state
    with atomic(db):
        db.execute("UPDATE users SET state = ? WHERE id = ?", [state, user_id])


def is_paused(db: sqlite_utils.Database, user_id: int) -> bool:
    row = db.execute("SELECT state FROM users WHERE id = ?", [user_id]).fetchone()
    return row is not None and row[0] == AccountState.PAUSED


def paused_user_ids(db: sqlite_utils.Database) -> set[int]:
    return {
        row[0] for row in db.execute("SELECT id FROM users WHERE state = ?", [AccountState.PAUSED])
    }


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
            return str(row[0])
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
    return int(row[0])


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


def _is_secret(column: str) -> bool:
    name = column.lower()
    return name in _SECRET_COLUMNS or any(word in name for word in _SECRET_WORDS)


def _without_secrets(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if not _is_secret(key)}


def _exportable_tables(db: sqlite_utils.Database) -> list[str]:
    return [
        table
        for table in db.table_names()
        if not table.startswith(("_", "sqlite")) and "_fts" not in table
    ]


def _ids_in(db: sqlite_utils.Database, sql: str, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    marks = ", ".join("?" for _ in ids)
    return {row[0] for row in db.execute(sql.format(marks=marks), sorted(ids))}


def _foreign_keys(db: sqlite_utils.Database, table: str) -> list[tuple[str, str, str]]:
    """(column, parent table, parent column) for each single-column foreign key of ``table``."""
    if dialect_of(db) is Dialect.POSTGRESQL:
        return [
            (column, parent, parent_column)
            for column, parent, parent_column in db.execute(
                "SELECT a.attname, p.relname, pa.attname FROM pg_constraint c"
                " JOIN pg_class p ON p.oid = c.confrelid"
                " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
                " JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]"
                " WHERE c.contype = 'f' AND c.conrelid = CAST(? AS regclass)"
                " AND cardinality(c.conkey) = 1 ORDER BY c.conname",
                [table],
            ).fetchall()
        ]
    keys = []
    for row in db.execute(f"PRAGMA foreign_key_list([{table}])").fetchall():
        parent, column, parent_column = row[2], row[3], row[4]
        if parent_column is None:  # REFERENCES parent: its primary key
            pk = [c for c in db.execute(f"PRAGMA table_info([{parent}])") if c[5]]
            parent_column = pk[0][1] if len(pk) == 1 else "rowid"
        keys.append((column, parent, parent_column))
    return keys


def export_user_data(db: sqlite_utils.Database, user_id: int) -> UserExport:
    """Everything stored about the user and their clips, as JSON-ready data.

    A row belongs to the user if its ``user_id`` or ``owner_id`` is theirs, its ``camera_id`` /
    ``recording_id`` / ``job_id`` is one of theirs, or a foreign key of it points at a row that
    belongs to them (found with ``PRAGMA foreign_key_list``, so tables added later are covered,
    e.g. notification deliveries through their target). Secret columns (hashes, sealed values,
    secrets) are left out.
    """
    user = _without_secrets(get_user(db, user_id))
    camera_ids = {
        row[0] for row in db.execute("SELECT id FROM cameras WHERE owner_id = ?", [user_id])
    }
    recording_ids = _ids_in(
        db, "SELECT id FROM recordings WHERE camera_id IN ({marks})", camera_ids
    )
    job_ids = _ids_in(db, "SELECT id FROM jobs WHERE camera_id IN ({marks})", camera_ids)
    job_ids |= _ids_in(db, "SELECT job_id FROM recordings WHERE id IN ({marks})", recording_ids)
    job_ids.discard(None)
    direct = {
        "user_id": {user_id},
        "owner_id": {user_id},
        "camera_id": camera_ids,
        "recording_id": recording_ids,
        "job_id": job_ids,
    }
    tables = [table for table in _exportable_tables(db) if table != "users"]
    columns = {table: set(db.table(table).columns_dict) for table in tables}
    foreign = {table: _foreign_keys(db, table) for table in tables}
    # rowids of every exported row per table; the user's own row seeds the foreign-key walk.
    picked: dict[str, dict[Any, dict[str, Any]]] = {table: {} for table in tables}
    # Where a row lies in its table (SQLite's rowid; PostgreSQL's ctid as (page, item)), so
    # rows of tables without a single-column key are told apart and listed in stored order.
    row_position = "rowid"
    if dialect_of(db) is Dialect.POSTGRESQL:
        row_position = "CAST(string_to_array(trim(CAST(ctid AS TEXT), '()'), ',') AS INT[])"
    picked["users"] = {user_id: {"id": user_id}}

    def select(table: str, column: str, values: AbstractSet[object]) -> bool:
        values = {value for value in values if value is not None}
        if not values:
            return False
        marks = ", ".join("?" for _ in values)
        added = False
        for row in db.query(
            f"SELECT {row_position} AS _export_rowid, * FROM [{table}]"  # noqa: S608 - ours
            f" WHERE [{column}] IN ({marks})",
            sorted(values, key=str),
        ):
            position = row.pop("_export_rowid")
            rowid = tuple(position) if isinstance(position, list) else position
            if rowid not in picked[table]:
                picked[table][rowid] = row
                added = True
        return added

    for table in tables:
        if table == "cameras":
            select(table, "id", camera_ids)
        elif table == "recordings":
            select(table, "id", recording_ids)
        elif table == "jobs":
            select(table, "id", job_ids)
        for column, values in direct.items():
            if column in columns[table]:
                select(table, column, values)
    changed = True
    while changed:  # follow foreign keys until no table gains a row
        changed = False
        for table in tables:
            for column, parent, parent_column in foreign[table]:
                if parent not in picked or not picked[parent]:
                    continue
                if parent_column == "rowid":
                    values = set(picked[parent])
                else:
                    values = {row.get(parent_column) for row in picked[parent].values()}
                changed = select(table, column, values) or changed

    export: UserExport = {"exported_at": utcnow(), "user": user}
    for table in tables:
        relevant = (
            set(direct) & columns[table]
            or foreign[table]
            or table in ("cameras", "recordings", "jobs")
        )
        if relevant or picked[table]:
            export[table] = [
                _without_secrets(picked[table][rowid]) for rowid in sorted(picked[table])
            ]
    return export


def list_users_with_counts(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """For the admin: users with their number of cameras, recordings and bytes stored."""
    return list(
        db.query(
            "SELECT u.id, u.email, u.is_admin, u.state, u.quota_mb, u.created_at,"
            " u.last_login_at, u.needs_confirmation,"
            " (SELECT count(*) FROM cameras c WHERE c.owner_id = u.id) AS cameras,"
            " coalesce(t.recordings, 0) AS recordings, coalesce(t.bytes, 0) AS bytes_used"
            " FROM users u LEFT JOIN account_totals t ON t.user_id = u.id ORDER BY u.id"
        )
    )
