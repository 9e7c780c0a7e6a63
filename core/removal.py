"""Removing recordings, cameras and whole accounts, for the scheduled jobs and the web UI.

Files go first, rows after: if the process dies in between, the rows still match what the job
looks for, so its next run finishes the removal. The other order could leave clip files that
no row points to any more, and nothing would ever find and delete them.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import sqlite_utils

from core import spool
from core.catalog.accounts import delete_account_rows, user_file_rows
from core.catalog.browse import delete_recording_rows
from core.catalog.camera_edits import camera_recordings, delete_camera_rows
from core.catalog.cameras import list_cameras
from core.catalog.quarantine import list_quarantined
from core.catalog.recordings import recording_paths
from core.catalog.stills import still_paths
from core.clipstore import RECORDINGS_AREA, THUMBS_AREA, ClipStore
from core.media_store import MediaStore, is_partial_name
from core.settings.storage import StorageSettings


def remove_recordings(
    db: sqlite_utils.Database, clips: ClipStore, recordings: list[dict[str, Any]]
) -> int:
    """Delete the recordings' files (with their stills) and rows; returns the bytes freed."""
    remove_recording_files(db, clips, recordings)
    delete_recording_rows(db, [recording["id"] for recording in recordings])
    return sum(int(recording["size_bytes"] or 0) for recording in recordings)


def remove_camera(
    db: sqlite_utils.Database, clips: ClipStore, storage: StorageSettings, camera: dict[str, Any]
) -> int:
    """Every file and row of the camera: clips, posters, held clips, its upload jail, spooled
    uploads; returns the number of recordings removed."""
    recordings = camera_recordings(db, camera["id"])
    remove_recording_files(db, clips, recordings)
    for held in list_quarantined(db, camera_id=camera["id"]):
        clips.delete_quarantined(held["path"])
    remove_camera_files(storage, camera)
    delete_camera_rows(db, camera["id"])
    return len(recordings)


def remove_account(
    db: sqlite_utils.Database, clips: ClipStore, storage: StorageSettings, user_id: int
) -> dict[str, int]:
    """Every file and row of the account: clips, posters, held clips, upload jails, spooled
    uploads."""
    recordings = user_file_rows(db, user_id)
    cameras = list_cameras(db, user_id)
    remove_recording_files(db, clips, recordings)
    # The rows go by ON DELETE CASCADE; the held files would stay with nothing pointing at them.
    for held in list_quarantined(db, owner_id=user_id):
        clips.delete_quarantined(held["path"])
    for camera in cameras:
        remove_camera_files(storage, camera)
    delete_account_rows(db, user_id)
    return {"cameras": len(cameras), "recordings": len(recordings)}


def remove_recording_files(
    db: sqlite_utils.Database, clips: ClipStore, recordings: list[dict[str, Any]]
) -> None:
    """Each recording's clip, poster, derived files and stills; the rows stay for the caller."""
    stills = still_paths(db, [recording["id"] for recording in recordings])
    for recording in recordings:
        clips.delete_recording_files(recording)
        clips.delete_still_files(stills[recording["id"]])


def remove_camera_files(storage: StorageSettings, camera: dict[str, Any]) -> None:
    """The camera's upload jail and its spooled uploads that were not processed yet, with a
    job row or still without one."""
    _remove_inside(Path(storage.uploads_dir), camera["username"])
    spool.remove_uploads_of_camera(storage.spool_dir, camera["id"])


def _remove_inside(root: Path, name: str) -> None:
    target = (root / name).resolve()
    # A name that leads out of the root (or to it) is never removed.
    if target.parent == root.resolve() and target.is_dir():
        shutil.rmtree(target, ignore_errors=True)


# The areas whose objects a recording owns (quarantined clips have rows of their own).
RECORDING_AREAS = (f"{RECORDINGS_AREA}/", f"{THUMBS_AREA}/")


def remove_orphan_media(
    db: sqlite_utils.Database, store: MediaStore, now: float, grace_s: float
) -> int:
    """Remove stored media that no recording row owns and that is older than ``grace_s``:
    what a node that died between storing a clip and committing its row left. A recording
    owns every object whose name starts with its clip's stem (poster, playback copy, best
    frame, plate crops). Partial files of an interrupted copy are left to
    `ClipStore.remove_unfinished`, which goes by their own age. Returns how many went."""
    stems_by_camera: dict[str, set[str]] = {}
    orphans = []
    for area in RECORDING_AREAS:
        for item in store.list(area):
            if item.modified > now - grace_s:
                continue  # may be a clip whose row is being committed right now
            relpath = item.key[len(area) :]
            camera, _, rest = relpath.partition("/")
            folder, _, name = rest.rpartition("/")
            if is_partial_name(name):
                continue
            if camera not in stems_by_camera:
                paths = recording_paths(db, int(camera)) if camera.isdigit() else []
                stems_by_camera[camera] = {path.split(".", 1)[0] for path in paths}
            stem = f"{camera}/{folder}/{name.split('.', 1)[0]}" if folder else relpath
            if stem not in stems_by_camera[camera]:
                orphans.append(item.key)
    store.delete(orphans)
    return len(orphans)
