"""Retention: recordings older than their camera's retention days, and the oldest recordings of
an account over its quota, are deleted (files and rows)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from core.catalog.retention import (
    account_recordings_oldest_first,
    accounts_with_usage,
    cameras_with_retention,
    delete_upload_records,
    recordings_received_before,
)
from core.clipstore import ClipStore
from core.removal import remove_recordings
from core.settings import Settings
from pipeline.scheduler import catalog_time


def select_over_quota(
    oldest_first: Iterable[dict[str, Any]], used_bytes: int, quota_bytes: int
) -> list[dict[str, Any]]:
    """The oldest recordings whose removal brings ``used_bytes`` down to ``quota_bytes``."""
    chosen = []
    for recording in oldest_first:
        if used_bytes <= quota_bytes:
            break
        chosen.append(recording)
        used_bytes -= int(recording["size_bytes"] or 0)
    return chosen


def retention_by_days(db: sqlite_utils.Database, settings: Settings, now: datetime) -> dict:
    """Delete each camera's recordings received more than its retention days before ``now``.

    Age counts from ``received_at`` (the server's clock), not the time in the camera's file
    name: a camera with a wrong clock must not lose its clips at once.
    """
    clips = ClipStore(settings.storage)
    deleted = freed = cameras = 0
    for camera in cameras_with_retention(db, settings.schedule.retention_days):
        if camera["retention_days"] <= 0:
            continue  # 0: kept until the quota is full
        cameras += 1
        cutoff = catalog_time(now - timedelta(days=camera["retention_days"]))
        expired = recordings_received_before(db, camera["id"], cutoff)
        freed += remove_recordings(db, clips, expired)
        deleted += len(expired)
    return {"cameras": cameras, "deleted": deleted, "freed_bytes": freed}


def retention_by_quota(db: sqlite_utils.Database, settings: Settings, now: datetime) -> dict:
    """Delete the oldest recordings of every account over its quota until it fits again."""
    clips = ClipStore(settings.storage)
    deleted = freed = over = 0
    for account in accounts_with_usage(db, settings.storage.default_quota_mb):
        if account["used_bytes"] <= account["quota_bytes"]:
            continue
        over += 1
        chosen = select_over_quota(
            account_recordings_oldest_first(db, account["user_id"]),
            account["used_bytes"],
            account["quota_bytes"],
        )
        freed += remove_recordings(db, clips, chosen)
        deleted += len(chosen)
    return {"accounts_over_quota": over, "deleted": deleted, "freed_bytes": freed}


def expire_upload_records(db: sqlite_utils.Database, settings: Settings, now: datetime) -> dict:
    """Delete records of refused uploads after ``[schedule] upload_records_days``, and rows of
    uploads that no camera or recording is left for."""
    cutoff = catalog_time(now - timedelta(days=settings.schedule.upload_records_days))
    return delete_upload_records(db, cutoff)
