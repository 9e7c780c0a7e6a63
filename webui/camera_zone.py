"""What a camera's first clips say about the zone of its clock, for the camera page (suggest
and confirm) and the dashboard (a notice while the camera is being filed at the wrong time)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import g

from core.catalog.time_zones import name_time_samples
from core.timestamps import ZoneSuggestion, suggest_zone, zone_or_utc
from webui.db import get_db, get_settings


def zone_suggestion(camera: dict) -> ZoneSuggestion | None:
    """The suggested zone while the owner has not chosen one, else None."""
    if camera.get("file_timezone"):
        return None
    settings = get_settings()
    samples = name_time_samples(get_db(), camera["id"], settings.pipeline.timestamp_patterns)
    # The owner's own zone first: a camera next to its owner usually keeps the owner's time.
    return suggest_zone(
        samples, preferred=(g.user.get("timezone"), settings.pipeline.camera_timezone)
    )


def filed_off(camera: dict) -> ZoneSuggestion | None:
    """The suggestion when it differs from the zone the camera's names are read in now (the
    alarms are filed at the wrong time until the owner confirms)."""
    suggestion = zone_suggestion(camera)
    if suggestion is None:
        return None
    now = datetime.now(UTC)
    current = now.astimezone(zone_or_utc(get_settings().pipeline.camera_timezone)).utcoffset()
    return (
        None if current == now.astimezone(zone_or_utc(suggestion.zone)).utcoffset() else suggestion
    )
