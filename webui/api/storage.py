"""Storage status of the caller's account: used, quota, oldest recording."""

from __future__ import annotations

from flask import jsonify

from core.catalog.alarm_events import storage_usage
from webui.api.blueprints import v1
from webui.api.token_auth import api_user_id
from webui.db import get_db, get_settings
from webui.formatting import api_time

MB = 1024 * 1024


@v1.get("/storage")
def storage_status():
    usage = storage_usage(get_db(), api_user_id())
    quota_mb = usage.pop("quota_mb") or get_settings().storage.default_quota_mb
    quota_bytes = quota_mb * MB
    return jsonify(
        {
            **usage,
            "oldest_recording_at": api_time(usage["oldest_recording_at"]),
            "newest_recording_at": api_time(usage["newest_recording_at"]),
            "quota_bytes": quota_bytes,
            "used_percent": round(100 * usage["used_bytes"] / quota_bytes, 2),
        }
    )
