"""Removing a user's data for good from the web UI: recordings, a camera, or a whole account.

The removals themselves (files first, then rows; held clips, jails and spooled uploads) are
the scheduler's (`pipeline.scheduler.removal`), so an account deleted for inactivity goes as
completely as one its owner deletes; this module adds the playback copies.
"""

from __future__ import annotations

import logging
from typing import Any

from pipeline.catalog.accounts import user_file_rows
from pipeline.catalog.camera_edits import camera_recordings
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


def remove_recordings(recordings: list[dict[str, Any]]) -> None:
    _remove_playback_copies(recordings)
    removal.remove_recordings(get_db(), get_clipstore(), recordings)


def remove_camera(camera: dict[str, Any]) -> None:
    db = get_db()
    _remove_playback_copies(camera_recordings(db, camera["id"]))
    count = removal.remove_camera(db, get_clipstore(), get_settings().storage, camera)
    logger.info("camera %d removed with %d recordings", camera["id"], count)


def remove_account(user_id: int) -> None:
    db = get_db()
    _remove_playback_copies(user_file_rows(db, user_id))
    counts = removal.remove_account(db, get_clipstore(), get_settings().storage, user_id)
    logger.info("account %d deleted: %d cameras, %d recordings", user_id, counts["cameras"],
                counts["recordings"])
