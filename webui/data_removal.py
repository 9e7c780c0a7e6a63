"""Removing a user's data for good: recordings, a camera, or a whole account.

Rows go first, in one transaction (so nothing in the catalog points at a missing file), then
the files: clips, posters and derived images through `ClipStore`, the camera's upload jail, and
spooled uploads that were not processed yet.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from pipeline.catalog.accounts import delete_account_rows, user_file_rows
from pipeline.catalog.browse import delete_recording_rows
from pipeline.catalog.camera_edits import camera_recordings, delete_camera_rows
from pipeline.catalog.cameras import list_cameras
from webui.db import get_clipstore, get_db, get_settings

logger = logging.getLogger(__name__)


def _remove_files(recordings: list[dict[str, Any]]) -> None:
    store = get_clipstore()
    for recording in recordings:
        try:
            store.delete_recording_files(recording)
            if recording.get("playback_path"):
                store.recording_file(recording["playback_path"]).unlink(missing_ok=True)
        except (OSError, ValueError):
            logger.exception("files of recording %d could not be removed", recording["id"])


def _remove_tree_inside(root: Path, name: str) -> None:
    target = (root / name).resolve()
    if target.parent != root.resolve() or not target.is_dir():
        return
    shutil.rmtree(target, ignore_errors=True)


def _camera_leftovers(camera: dict[str, Any]) -> list[str]:
    """Spool folders of the camera's unfinished jobs (read before the rows go)."""
    return [
        row["id"]
        for row in get_db().query(
            "SELECT id FROM jobs WHERE camera_id = ? AND state NOT IN ('indexed', 'rejected')",
            [camera["id"]],
        )
    ]


def _remove_camera_files(camera: dict[str, Any], pending_jobs: list[str]) -> None:
    storage = get_settings().storage
    _remove_tree_inside(Path(storage.uploads_dir), camera["username"])
    for job_id in pending_jobs:
        _remove_tree_inside(Path(storage.incoming_dir), job_id)


def remove_recordings(recordings: list[dict[str, Any]]) -> None:
    delete_recording_rows(get_db(), [recording["id"] for recording in recordings])
    _remove_files(recordings)


def remove_camera(camera: dict[str, Any]) -> None:
    db = get_db()
    recordings = camera_recordings(db, camera["id"])
    pending = _camera_leftovers(camera)
    delete_camera_rows(db, camera["id"])
    _remove_files(recordings)
    _remove_camera_files(camera, pending)
    logger.info("camera %d removed with %d recordings", camera["id"], len(recordings))


def remove_account(user_id: int) -> None:
    db = get_db()
    recordings = user_file_rows(db, user_id)
    cameras = [(camera, _camera_leftovers(camera)) for camera in list_cameras(db, user_id)]
    delete_account_rows(db, user_id)
    _remove_files(recordings)
    for camera, pending in cameras:
        _remove_camera_files(camera, pending)
    logger.info(
        "account %d deleted: %d cameras, %d recordings", user_id, len(cameras), len(recordings)
    )
