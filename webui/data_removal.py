"""Removing a user's data for good from the web UI: recordings, a camera, or a whole account.

The removals themselves (files first, then rows; playback copies, held clips, jails and spooled
uploads) are the scheduler's (`core.removal`), so an account deleted for
inactivity goes as completely as one its owner deletes.
"""

from __future__ import annotations

import logging
from typing import Any

from core import removal
from webui.db import get_clipstore, get_db, get_settings

logger = logging.getLogger(__name__)


def remove_recordings(recordings: list[dict[str, Any]]) -> None:
    removal.remove_recordings(get_db(), get_clipstore(), recordings)


def remove_camera(camera: dict[str, Any]) -> None:
    count = removal.remove_camera(get_db(), get_clipstore(), get_settings().storage, camera)
    logger.info("camera %d removed with %d recordings", camera["id"], count)


def remove_account(user_id: int) -> None:
    counts = removal.remove_account(get_db(), get_clipstore(), get_settings().storage, user_id)
    logger.info(
        "account %d deleted: %d cameras, %d recordings",
        user_id,
        counts["cameras"],
        counts["recordings"],
    )
