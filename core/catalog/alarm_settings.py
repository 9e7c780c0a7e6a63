"""Per-camera alarm settings the owner switches (also by API or voice assistant).

``armed``: alarms of the camera count (off: recordings are still stored, nobody is notified);
``notify``: notifications (webhooks, MQTT, e-mail) are sent for the camera.
A camera without a row has both on.
"""

from __future__ import annotations

import sqlite_utils

from core.catalog import atomic, utcnow

DEFAULTS = {"armed": True, "notify": True}


def get_alarm_settings(db: sqlite_utils.Database, camera_id: int) -> dict[str, bool]:
    row = db.execute(
        "SELECT armed, notify FROM camera_alarm_settings WHERE camera_id = ?", [camera_id]
    ).fetchone()
    if row is None:
        return dict(DEFAULTS)
    return {"armed": bool(row[0]), "notify": bool(row[1])}


def alarm_settings_of_owner(db: sqlite_utils.Database, owner_id: int) -> dict[int, dict[str, bool]]:
    found = {
        row["camera_id"]: {"armed": bool(row["armed"]), "notify": bool(row["notify"])}
        for row in db.query(
            "SELECT s.camera_id, s.armed, s.notify FROM camera_alarm_settings s"
            " JOIN cameras c ON c.id = s.camera_id WHERE c.owner_id = ?",
            [owner_id],
        )
    }
    for (camera_id,) in db.execute("SELECT id FROM cameras WHERE owner_id = ?", [owner_id]):
        found.setdefault(camera_id, dict(DEFAULTS))
    return found


def set_alarm_settings(
    db: sqlite_utils.Database,
    camera_id: int,
    *,
    armed: bool | None = None,
    notify: bool | None = None,
) -> dict[str, bool]:
    with atomic(db):
        current = get_alarm_settings(db, camera_id)
        if armed is not None:
            current["armed"] = armed
        if notify is not None:
            current["notify"] = notify
        db.execute(
            "INSERT INTO camera_alarm_settings (camera_id, armed, notify, updated_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (camera_id) DO UPDATE SET"
            " armed = excluded.armed, notify = excluded.notify, updated_at = excluded.updated_at",
            [camera_id, int(current["armed"]), int(current["notify"]), utcnow()],
        )
    return current
