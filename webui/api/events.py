"""Alarm events: the recent ones and counts per camera and day."""

from __future__ import annotations

from flask import jsonify

from core.catalog import MAX_ID
from core.catalog.alarm_events import alarm_counts_per_day, days_back, recent_alarm_events
from webui.api.blueprints import v1
from webui.api.bodies import query_int
from webui.api.token_auth import api_user_id
from webui.db import get_db
from webui.formatting import api_time, local_now, viewer_zone
from webui.ownership import camera_or_404


def _camera_filter() -> int | None:
    camera_id = query_int("camera_id", None, 1, MAX_ID)
    if camera_id is not None:
        camera_or_404(camera_id)
    return camera_id


@v1.get("/events")
def recent_events():
    camera_id = _camera_filter()
    limit = query_int("limit", 20, 1, 200)
    rows = recent_alarm_events(get_db(), api_user_id(), camera_id=camera_id, limit=limit or 20)
    items = [
        {
            "recording_id": row["id"],
            "camera_id": row["camera_id"],
            "camera_name": row["camera_name"],
            "started_at": api_time(row["started_at"]),
            "duration_s": row["duration_s"],
            "labels": row["labels"],
        }
        for row in rows
    ]
    return jsonify({"items": items})


@v1.get("/events/counts")
def event_counts():
    camera_id = _camera_filter()
    days = query_int("days", 7, 1, 366) or 7
    since = days_back(local_now().date(), days)
    rows = alarm_counts_per_day(
        get_db(), api_user_id(), since, camera_id=camera_id, zone=viewer_zone()
    )
    return jsonify({"since": since.isoformat(), "days": days, "items": rows})
