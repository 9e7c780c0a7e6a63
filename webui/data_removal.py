"""Removing a user's data for good from the web UI: recordings, a camera, or a whole account.

The file-then-row order and the jail/spool clean-up are shared with the scheduler's removals
(`pipeline.scheduler.removal`); this module adds what a customer's own deletion also reaches:
playback copies and clips held in quarantine.
"""

from __future__ import annotations

import logging
from typing import Any

from pipeline.catalog.camera_edits import camera_recordings, delete_camera_rows
from pipeline.catalog.cameras import list_cameras
from pipeline.catalog.quarantine import list_quarantined
from pipeline.scheduler import removal
from webui.db import get_clipstore, get_db, get_settings

logger = logging.getLogger(__name__)


def _remove_playback_copies(recordings: list[dict[str, Any]]) -> None:
    store = get_clipstore()
    for recording in recordings:
        if recording.get("playback_path"):
            try:
                store.recording_file(recording["playback_path"]).unlink(missing_ok=True)
            except (OSError, ValueError):
                logger.exception("playback copy of recording %d stays", recording["id"])


def _remove_quarantined_files(db, *, camera_id: int | None = None,
                              owner_id: int | None = None) -> None:
    store = get_clipstore()
    for row in list_quarantined(db, camera_id=camera_id, owner_id=owner_id):
        store.delete_quarantined(row["path"])


def remove_recordings(recordings: list[dict[str, Any]]) -> None:
    _remove_playback_copies(recordings)
    removal.remove_recordings(get_db(), get_clipstore(), recordings)


def remove_camera(camera: dict[str, Any]) -> None:
    db = get_db()
    recordings = camera_recordings(db, camera["id"])
    _remove_playback_copies(recordings)
    for recording in recordings:
        get_clipstore().delete_recording_files(recording)
    _remove_quarantined_files(db, camera_id=camera["id"])
    removal.remove_camera_files(db, get_settings().storage, camera)
    delete_camera_rows(db, camera["id"])
    logger.info("camera %d removed with %d recordings", camera["id"], len(recordings))


def remove_account(user_id: int) -> None:
    db = get_db()
    cameras = list_cameras(db, user_id)
    recordings = [r for camera in cameras for r in camera_recordings(db, camera["id"])]
    _remove_playback_copies(recordings)
    _remove_quarantined_files(db, owner_id=user_id)
    counts = removal.remove_account(db, get_clipstore(), get_settings().storage, user_id)
    logger.info("account %d deleted: %d cameras, %d recordings", user_id, counts["cameras"],
                counts["recordings"])
