"""Plate readings of recordings, plate search, and the plates an owner has named.

Readings are stored with their recording only (cascading deletes, see migration m0009) and
are never logged: callers log recording ids, not plate text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlite_utils

from core.catalog import NotFound, atomic, in_marks, utcnow, values_by_recording
from core.detection.plate_text import normalise_plate, one_missing, plate_key, plates_match
from core.translation import N_

READS_TABLE = "recording_plates"
KEYS_TABLE = "plate_search_keys"
KNOWN_TABLE = "known_plates"
MAX_NAME_LENGTH = 60
MAX_KNOWN_PLATES = 100


class TooManyKnownPlates(Exception):
    """The account has as many named plates as it may have."""


def store_plate_reads(
    db: sqlite_utils.Database, recording_id: int, reads: Iterable[dict[str, Any]]
) -> None:
    """Replace the recording's readings (dicts with track, text, score, t_s, crop_path) and
    their search keys. Joins the caller's transaction."""
    with atomic(db):
        delete_plate_reads(db, recording_id)
        keys: set[tuple[str, int]] = set()
        for read in reads:
            text = normalise_plate(read["text"])
            key = plate_key(text)
            if not key:
                continue
            db.table(READS_TABLE).insert(
                {
                    "recording_id": recording_id,
                    "track": read["track"],
                    "text": text,
                    "plate_key": key,
                    "score": round(read["score"], 4),
                    "t_s": read["t_s"],
                    "crop_path": read.get("crop_path"),
                }
            )
            keys.add((key, 1))
            keys.update((shorter, 0) for shorter in one_missing(key))
        db.table(KEYS_TABLE).insert_all(
            {"recording_id": recording_id, "plate_key": key, "whole": whole}
            for key, whole in sorted(keys)
        )


def delete_plate_reads(db: sqlite_utils.Database, recording_id: int) -> None:
    with atomic(db):
        db.execute(f"DELETE FROM {READS_TABLE} WHERE recording_id = ?", [recording_id])  # noqa: S608
        db.execute(f"DELETE FROM {KEYS_TABLE} WHERE recording_id = ?", [recording_id])  # noqa: S608


def plate_condition(query: str) -> tuple[str, list[Any]]:
    """SQL (on recordings aliased ``r``) matching recordings with a plate like ``query``: the
    same key, the key with one character more (one lost in the reading) or one less (one too
    many typed). A query with no letters or digits matches nothing."""
    key = plate_key(query)
    if not key:
        return "0", []
    shorter = sorted(one_missing(key))
    marks = ", ".join("?" for _ in shorter) or "NULL"
    sql = (
        f"r.id IN (SELECT recording_id FROM {KEYS_TABLE} WHERE plate_key = ?"  # noqa: S608
        f" UNION SELECT recording_id FROM {KEYS_TABLE} WHERE whole = 1 AND plate_key IN ({marks}))"
    )
    return sql, [key, *shorter]


def recording_plates(db: sqlite_utils.Database, recording_id: int) -> list[dict[str, Any]]:
    """The best reading per vehicle of one recording, in track order."""
    return list(
        db.query(
            f"SELECT track, text, score, t_s, crop_path FROM {READS_TABLE}"  # noqa: S608
            " WHERE recording_id = ? ORDER BY track",
            [recording_id],
        )
    )


def plates_by_recording(
    db: sqlite_utils.Database, recording_ids: Iterable[int]
) -> dict[int, list[str]]:
    """Plate texts per recording, for listings and notifications."""
    return values_by_recording(
        db,
        f"SELECT recording_id, text FROM {READS_TABLE}"  # noqa: S608
        " WHERE recording_id IN ({marks}) ORDER BY recording_id, track",
        recording_ids,
    )


def forget_plates_in_deliveries(db: sqlite_utils.Database, recording_ids: list[int]) -> None:
    """Take the plates out of the notifications queued or sent about these (deleted)
    recordings: the text lives no longer than its recording."""
    if not recording_ids:
        return
    keys = [f"recording:{recording_id}" for recording_id in recording_ids]
    # The JSON is edited here, not in SQL: SQLite's and PostgreSQL's JSON functions differ.
    rows = db.execute(
        f"SELECT id, payload FROM notification_deliveries WHERE event_key IN ({in_marks(keys)})",  # noqa: S608
        keys,
    ).fetchall()
    for delivery_id, payload in rows:
        message = json.loads(payload)
        if isinstance(message, dict) and "plates" in message:
            del message["plates"]
            db.execute(
                "UPDATE notification_deliveries SET payload = ? WHERE id = ?",
                [json.dumps(message, sort_keys=True), delivery_id],
            )


# -- named plates ----------------------------------------------------------------------------


def add_known_plate(
    db: sqlite_utils.Database, user_id: int, text: str, name: str
) -> dict[str, Any]:
    """Name a plate for the account; naming the same plate again renames it."""
    plate = normalise_plate(text)
    name = " ".join(name.split())[:MAX_NAME_LENGTH]
    if len(plate) < 2:
        raise ValueError(N_("A plate needs at least two letters or digits."))
    if not name:
        raise ValueError(N_("A named plate needs a name."))
    with atomic(db):
        key = plate_key(plate)
        existing = db.execute(
            f"SELECT id FROM {KNOWN_TABLE} WHERE user_id = ? AND plate_key = ?",  # noqa: S608
            [user_id, key],
        ).fetchone()
        if existing is not None:
            db.execute(
                f"UPDATE {KNOWN_TABLE} SET text = ?, name = ? WHERE id = ?",  # noqa: S608
                [plate, name, existing[0]],
            )
            return get_known_plate(db, user_id, existing[0])
        count = db.execute(
            f"SELECT count(*) FROM {KNOWN_TABLE} WHERE user_id = ?",  # noqa: S608
            [user_id],
        ).fetchone()[0]
        if count >= MAX_KNOWN_PLATES:
            raise TooManyKnownPlates(f"at most {MAX_KNOWN_PLATES} named plates per account")
        db.table(KNOWN_TABLE).insert(
            {
                "user_id": user_id,
                "text": plate,
                "plate_key": key,
                "name": name,
                "created_at": utcnow(),
            }
        )
        plate_id = db.execute("SELECT last_insert_rowid()").fetchone()[0]
    return get_known_plate(db, user_id, plate_id)


def get_known_plate(db: sqlite_utils.Database, user_id: int, plate_id: int) -> dict[str, Any]:
    rows = list(
        db.query(
            f"SELECT id, text, name, created_at FROM {KNOWN_TABLE}"  # noqa: S608
            " WHERE id = ? AND user_id = ?",
            [plate_id, user_id],
        )
    )
    if not rows:
        raise NotFound(f"named plate {plate_id}")
    return rows[0]


def list_known_plates(db: sqlite_utils.Database, user_id: int) -> list[dict[str, Any]]:
    return list(
        db.query(
            f"SELECT id, text, name, created_at FROM {KNOWN_TABLE}"  # noqa: S608
            " WHERE user_id = ? ORDER BY name, text",
            [user_id],
        )
    )


def delete_known_plate(db: sqlite_utils.Database, user_id: int, plate_id: int) -> None:
    with atomic(db):
        cursor = db.execute(
            f"DELETE FROM {KNOWN_TABLE} WHERE id = ? AND user_id = ?",  # noqa: S608
            [plate_id, user_id],
        )
        if cursor.rowcount == 0:
            raise NotFound(f"named plate {plate_id}")


def known_plate_for(known: list[dict[str, Any]], text: str) -> dict[str, Any] | None:
    """The named plate a reading is (look-alikes and one missing character allowed)."""
    return next((plate for plate in known if plates_match(plate["text"], text)), None)


def named_plates(known: list[dict[str, Any]], texts: Iterable[str]) -> list[dict[str, Any]]:
    """Each reading with the name the owner gave its plate (None where unnamed)."""
    named = []
    for text in texts:
        plate = known_plate_for(known, text)
        named.append(
            {
                "text": text,
                "name": plate["name"] if plate else None,
                "known_plate_id": plate["id"] if plate else None,
            }
        )
    return named


def attach_plates(db: sqlite_utils.Database, rows: list[dict[str, Any]]) -> None:
    """Add ``plates`` ([{text, name, known_plate_id}]) to each recording row (with
    ``owner_id``)."""
    for row in rows:
        row["plates"] = []
    if not rows:
        return
    texts = plates_by_recording(db, [row["id"] for row in rows])
    known_by_owner: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        if not texts[row["id"]]:
            continue
        owner = row["owner_id"]
        if owner not in known_by_owner:
            known_by_owner[owner] = list_known_plates(db, owner)
        row["plates"] = named_plates(known_by_owner[owner], texts[row["id"]])
