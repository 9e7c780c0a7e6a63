"""Notification targets (where an owner wants to hear about alarms) and the delivery outbox.

The dispatcher (`pipeline.integrations.dispatcher`) turns new recordings and fair-use changes
into delivery rows in one transaction with the watermark it advances, so each event is queued
exactly once even across a crash; a delivery is then retried until sent or given up.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection
from typing import Any

import sqlite_utils

from core.catalog import NotFound, atomic, in_marks, utcnow
from core.catalog.browse import attach_labels
from core.catalog.plates import attach_plates
from core.catalog.states import AccountState, FairUseState
from core.notification_rules import TEST_CAMERA_NAME, recording_payload

KINDS = ("webhook", "mqtt", "email", "webpush")
# A web push target is one subscribed browser or phone, made on the account page (not through
# the targets API): its sealed_url holds the push endpoint and the browser's keys.
WEB_PUSH = "webpush"
EVENTS = ("recording", "fairuse")
PAYLOAD_STYLES = ("json", "ifttt")
PENDING, SENT, FAILED = "pending", "sent", "failed"

Target = dict[str, Any]

_PUBLIC_TARGET = (
    "SELECT id, user_id, kind, name, camera_id, labels, events, payload_style, url_host,"
    " enabled, created_at FROM notification_targets"
)


class TooManyTargets(Exception):
    """The account has as many notification targets as it may have."""


def _split(text: str) -> list[str]:
    return [part for part in (text or "").split(",") if part]


def public_target(row: dict[str, Any]) -> Target:
    """A target as its owner sees it: never the URL (it may hold a key) nor the secret."""
    return {
        "id": row["id"],
        "kind": row["kind"],
        "name": row["name"],
        "camera_id": row["camera_id"],
        "labels": _split(row["labels"]),
        "events": _split(row["events"]),
        "payload_style": row["payload_style"],
        "url_host": row["url_host"],
        "enabled": bool(row["enabled"]),
        "created_at": row["created_at"],
    }


def add_target(
    db: sqlite_utils.Database,
    user_id: int,
    *,
    kind: str,
    name: str,
    camera_id: int | None = None,
    labels: list[str] | None = None,
    events: list[str] | None = None,
    payload_style: str = "json",
    sealed_url: str | None = None,
    url_host: str | None = None,
    sealed_secret: str | None = None,
    max_targets: int = 20,
) -> Target:
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    if payload_style not in PAYLOAD_STYLES:
        raise ValueError(f"payload_style must be one of {', '.join(PAYLOAD_STYLES)}")
    events = list(dict.fromkeys(events or EVENTS))
    if not events or any(event not in EVENTS for event in events):
        raise ValueError(f"events must be some of {', '.join(EVENTS)}")
    labels = sorted({label.strip().lower() for label in labels or [] if label.strip()})
    if kind == "webhook" and not (sealed_url and sealed_secret):
        raise ValueError("a webhook needs a URL and a signing secret")
    if kind == WEB_PUSH and not sealed_url:
        raise ValueError("a web push target needs the browser's subscription")
    with atomic(db):
        count = db.execute(
            "SELECT count(*) FROM notification_targets WHERE user_id = ?", [user_id]
        ).fetchone()[0]
        if count >= max_targets:
            raise TooManyTargets(f"at most {max_targets} notification targets per account")
        db.table("notification_targets").insert(
            {
                "user_id": user_id,
                "kind": kind,
                "name": (name or "").strip()[:80] or kind,
                "camera_id": camera_id,
                "labels": ",".join(labels),
                "events": ",".join(events),
                "payload_style": payload_style,
                "sealed_url": sealed_url,
                "url_host": url_host,
                "sealed_secret": sealed_secret,
                "enabled": 1,
                "created_at": utcnow(),
            }
        )
        target_id = db.execute("SELECT last_insert_rowid()").fetchone()[0]
    return get_target(db, target_id)


def get_target(db: sqlite_utils.Database, target_id: int) -> Target:
    rows = list(db.query(_PUBLIC_TARGET + " WHERE id = ?", [target_id]))
    if not rows:
        raise NotFound(f"notification target {target_id}")
    return rows[0]


def get_target_secrets(db: sqlite_utils.Database, target_id: int) -> dict[str, Any]:
    """The sealed URL and secret, for the dispatcher only."""
    rows = list(
        db.query(
            "SELECT sealed_url, sealed_secret FROM notification_targets WHERE id = ?", [target_id]
        )
    )
    if not rows:
        raise NotFound(f"notification target {target_id}")
    return rows[0]


def list_targets(db: sqlite_utils.Database, user_id: int) -> list[Target]:
    return list(db.query(_PUBLIC_TARGET + " WHERE user_id = ? ORDER BY id", [user_id]))


def list_web_push_targets(db: sqlite_utils.Database, user_id: int) -> list[dict[str, Any]]:
    """The account's subscribed browsers and phones, with their sealed subscriptions (to find
    the one a browser unsubscribes; the web UI shows only name, host and date)."""
    return list(
        db.query(
            "SELECT id, name, url_host, sealed_url, enabled, created_at FROM notification_targets"
            " WHERE user_id = ? AND kind = ? ORDER BY id",
            [user_id, WEB_PUSH],
        )
    )


def set_target_enabled(db: sqlite_utils.Database, target_id: int, enabled: bool) -> None:
    with atomic(db):
        db.execute(
            "UPDATE notification_targets SET enabled = ? WHERE id = ?", [int(enabled), target_id]
        )


def delete_target(db: sqlite_utils.Database, target_id: int) -> None:
    with atomic(db):
        db.execute("DELETE FROM notification_targets WHERE id = ?", [target_id])


def targets_for_event(
    db: sqlite_utils.Database, owner_id: int, camera_id: int | None, event: str
) -> list[Target]:
    """The owner's enabled targets that want ``event`` for this camera (labels not checked)."""
    rows = db.query(
        _PUBLIC_TARGET + " WHERE user_id = ? AND enabled = 1"
        " AND (camera_id IS NULL OR camera_id = ?) ORDER BY id",
        [owner_id, camera_id],
    )
    return [row for row in rows if event in _split(row["events"])]


def target_labels(target: Target) -> list[str]:
    """What the target asks for: detection labels, and the plate conditions of
    `core.catalog.plates` (plate_unknown, plate_known, plate:ID of one named plate)."""
    return _split(target["labels"])


# -- events waiting to be turned into deliveries (call inside one `atomic`) -----------------


def new_recordings(db: sqlite_utils.Database, limit: int = 200) -> list[dict[str, Any]]:
    """Recordings after the watermark, oldest first, with camera, owner, labels and settings."""
    watermark = get_watermark(db, "recordings")
    # Whether the camera has detection switched on and whether this recording was analysed
    # yet (labels arrive with the analysis).
    wanted = (
        "(c.detect_objects = 1 OR c.detect_plates = 1 OR c.detect_rain = 1"
        " OR c.detect_false_alarm = 1)"
    )
    analysed = "EXISTS (SELECT 1 FROM detection_runs d WHERE d.recording_id = r.id)"
    rows = list(
        db.query(
            "SELECT r.id, r.camera_id, r.started_at, r.duration_s, r.size_bytes,"  # noqa: S608
            " r.created_at, c.name AS camera_name, c.model AS camera_model, c.owner_id,"
            " coalesce(s.armed, 1) AS armed, coalesce(s.notify, 1) AS notify,"
            # A snapshot-only recording is never analysed: nothing to wait for.
            f" ({wanted}) AND r.kind = 'clip' AS detection_wanted, {analysed} AS analysed"
            " FROM recordings r JOIN cameras c ON c.id = r.camera_id"
            " LEFT JOIN camera_alarm_settings s ON s.camera_id = r.camera_id"
            " WHERE r.id > ? ORDER BY r.id LIMIT ?",
            [watermark, limit],
        )
    )
    attach_labels(db, rows)
    attach_plates(db, rows)
    return rows


def get_watermark(db: sqlite_utils.Database, name: str) -> int:
    row = db.execute("SELECT value FROM notification_watermarks WHERE name = ?", [name]).fetchone()
    return int(row[0]) if row else 0


def set_watermark(db: sqlite_utils.Database, name: str, value: int) -> None:
    db.execute(
        "INSERT INTO notification_watermarks (name, value) VALUES (?, ?)"
        " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        [name, value],
    )


def fairuse_changes(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Cameras whose fair-use state differs from what was last notified (new cameras: ok)."""
    return list(
        db.query(
            "SELECT c.id AS camera_id, c.name AS camera_name, c.owner_id, c.fairuse_state AS state,"
            " coalesce(f.state, ?) AS previous_state,"
            " coalesce(s.notify, 1) AS notify"
            " FROM cameras c LEFT JOIN notification_fairuse_seen f ON f.camera_id = c.id"
            " LEFT JOIN camera_alarm_settings s ON s.camera_id = c.id"
            " WHERE c.fairuse_state != coalesce(f.state, ?) ORDER BY c.id",
            [FairUseState.OK, FairUseState.OK],
        )
    )


def mark_fairuse_seen(db: sqlite_utils.Database, camera_id: int, state: str) -> None:
    db.execute(
        "INSERT INTO notification_fairuse_seen (camera_id, state) VALUES (?, ?)"
        " ON CONFLICT (camera_id) DO UPDATE SET state = excluded.state",
        [camera_id, state],
    )


def queue_delivery(
    db: sqlite_utils.Database,
    target_id: int,
    event: str,
    event_key: str,
    payload: dict[str, Any],
) -> None:
    """Queue one delivery; a repeat for the same target and event is ignored."""
    now = utcnow()
    db.execute(
        "INSERT OR IGNORE INTO notification_deliveries"
        " (target_id, event, event_key, payload, state, next_attempt_at, created_at)"
        " VALUES (?, ?, ?, ?, 'pending', ?, ?)",
        [target_id, event, event_key, json.dumps(payload, sort_keys=True), now, now],
    )


# -- the outbox ------------------------------------------------------------------------------


def due_deliveries(
    db: sqlite_utils.Database,
    now: str,
    limit: int = 50,
    *,
    per_owner: int = 10,
    skip_owners: Collection[int] = (),
) -> list[dict[str, Any]]:
    """What is due, oldest first, at most ``per_owner`` of each account (so one account's
    backlog, e.g. for a dead receiver, cannot fill the batch) and none of ``skip_owners`` (whose
    deliveries are still running). Paused accounts' deliveries wait, kept, until the owner
    resumes the account."""
    # 0 is no user's id: it keeps the IN list from being empty, which PostgreSQL refuses.
    skipped = [0, *sorted(set(skip_owners))]
    return list(
        db.query(
            "SELECT * FROM ("  # noqa: S608 - marks only
            " SELECT d.*, t.kind, t.payload_style, t.user_id, t.name AS target_name,"
            "  ROW_NUMBER() OVER (PARTITION BY t.user_id ORDER BY d.next_attempt_at, d.id)"
            "  AS owner_rank"
            " FROM notification_deliveries d JOIN notification_targets t ON t.id = d.target_id"
            " JOIN users u ON u.id = t.user_id"
            " WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND u.state IS NOT ?"
            f" AND t.user_id NOT IN ({in_marks(skipped)})"
            ") AS due WHERE owner_rank <= ? ORDER BY next_attempt_at, id LIMIT ?",
            [now, AccountState.PAUSED, *skipped, per_owner, limit],
        )
    )


def mark_delivery_sent(db: sqlite_utils.Database, delivery_id: int) -> None:
    with atomic(db):
        db.execute(
            "UPDATE notification_deliveries SET state = 'sent', sent_at = ?,"
            " attempts = attempts + 1, last_error = NULL WHERE id = ?",
            [utcnow(), delivery_id],
        )


def mark_delivery_failed_attempt(
    db: sqlite_utils.Database, delivery_id: int, error: str, next_attempt_at: str | None
) -> None:
    """One more failed attempt; ``next_attempt_at`` None gives the delivery up."""
    with atomic(db):
        db.execute(
            "UPDATE notification_deliveries SET attempts = attempts + 1, last_error = ?,"
            " state = ?, next_attempt_at = coalesce(?, next_attempt_at) WHERE id = ?",
            [error[:300], PENDING if next_attempt_at else FAILED, next_attempt_at, delivery_id],
        )


def recent_deliveries(
    db: sqlite_utils.Database, target_id: int, limit: int = 20
) -> list[dict[str, Any]]:
    return list(
        db.query(
            "SELECT id, event, event_key, state, attempts, last_error, created_at, sent_at,"
            " next_attempt_at FROM notification_deliveries WHERE target_id = ?"
            " ORDER BY id DESC LIMIT ?",
            [target_id, limit],
        )
    )


def queue_test_delivery(db: sqlite_utils.Database, owner_id: int, target: Target) -> None:
    """Queue a test notification to one of the owner's targets, built from the owner's newest
    recording (or a made-up one when there is none); marked ``test`` in its payload."""
    now = utcnow()
    recording = recording_for_test(db, owner_id)
    if recording is not None:
        payload = recording_payload(recording)
    else:
        payload = {
            "event": "recording",
            "time": now,
            "summary": "Test notification",
            "camera": {"id": target["camera_id"] or 0, "name": TEST_CAMERA_NAME, "model": None},
            "labels": [],
            "plates": [],
            "recording": {"id": 0, "started_at": now, "duration_s": 0.0, "labels": []},
        }
    payload["test"] = True
    with atomic(db):
        key = f"test:{now}:{secrets.token_hex(4)}"
        queue_delivery(db, target["id"], "recording", key, payload)


def recording_for_test(db: sqlite_utils.Database, owner_id: int) -> dict[str, Any] | None:
    """The owner's newest recording, to build a realistic test notification."""
    rows = list(
        db.query(
            "SELECT r.id, r.camera_id, r.started_at, r.duration_s, r.size_bytes,"
            " c.name AS camera_name, c.model AS camera_model, c.owner_id"
            " FROM recordings r JOIN cameras c ON c.id = r.camera_id WHERE c.owner_id = ?"
            " ORDER BY r.id DESC LIMIT 1",
            [owner_id],
        )
    )
    attach_labels(db, rows)
    attach_plates(db, rows)
    return rows[0] if rows else None
