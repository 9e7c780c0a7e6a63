"""The spool: how a completed upload is handed from ingestd to the pipeline.

Contract: an upload is a folder ``incoming/<upload_id>/`` holding ``clip`` (the uploaded bytes)
and ``upload.json`` (its metadata). ingestd assembles the folder under ``staging/`` and moves
it into ``incoming/`` with one ``os.replace`` on the same filesystem, so the pipeline sees a
whole upload or nothing. Both sides use this module; nothing else knows the layout.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

CLIP_NAME = "clip"
META_NAME = "upload.json"


@dataclass(frozen=True)
class UploadMeta:
    """What ingestd knows about a completed upload. No client secrets, address shortened."""

    upload_id: str
    camera_id: int
    username: str
    protocol: str
    remote_addr: str
    original_name: str
    original_path: str
    size_bytes: int
    started_at: str
    completed_at: str
    extra: dict[str, Any] = field(default_factory=dict)


def file_sha256(path: Path | str) -> str:
    """The hex SHA-256 of a spooled clip's bytes: a camera's retry of the same file is known by
    it (``jobs.content_sha256``). The pipeline computes it, off ingestd's I/O loop."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def new_upload_id() -> str:
    return uuid.uuid4().hex


def spool_completed_upload(spool_dir: Path, source: Path, meta: UploadMeta) -> Path:
    """Move ``source`` (a finished upload in a camera's jail) into the spool, atomically.

    Cheap enough for an FTP hook: one rename of the file, one small write, one rename of the
    folder. ``source`` must be on the same filesystem as ``spool_dir``.
    """
    staging = spool_dir / "staging" / meta.upload_id
    staging.mkdir(parents=True)
    os.replace(source, staging / CLIP_NAME)
    meta_tmp = staging / (META_NAME + ".tmp")
    with meta_tmp.open("w", encoding="utf-8") as handle:
        json.dump(asdict(meta), handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(meta_tmp, staging / META_NAME)
    target = spool_dir / "incoming" / meta.upload_id
    os.replace(staging, target)
    return target


def recover_staging(spool_dir: Path) -> tuple[int, int]:
    """Finish or undo handovers that a crash interrupted; returns (promoted, removed).

    A staging folder with both files was complete: promote it. Anything less never reached the
    pipeline, and the upload it came from is already gone from the jail, so it is removed.
    """
    promoted = removed = 0
    staging_root = spool_dir / "staging"
    if not staging_root.is_dir():
        return 0, 0
    for staging in staging_root.iterdir():
        if (staging / CLIP_NAME).is_file() and (staging / META_NAME).is_file():
            os.replace(staging, spool_dir / "incoming" / staging.name)
            promoted += 1
        else:
            shutil.rmtree(staging, ignore_errors=True)
            logger.warning("spool: removed incomplete handover %s", staging.name)
            removed += 1
    return promoted, removed


def ensure_spool(spool_dir: Path) -> None:
    for name in ("staging", "incoming"):
        (spool_dir / name).mkdir(parents=True, exist_ok=True)


def list_incoming(spool_dir: Path) -> list[Path]:
    """Upload folders waiting in the spool, oldest first (by their modification time)."""
    incoming = spool_dir / "incoming"
    try:
        entries = [entry for entry in incoming.iterdir() if entry.is_dir()]
    except FileNotFoundError:
        return []
    return sorted(entries, key=lambda entry: entry.stat().st_mtime)


def read_upload(folder: Path) -> UploadMeta:
    with (folder / META_NAME).open(encoding="utf-8") as handle:
        data = json.load(handle)
    return UploadMeta(**data)


def clip_path(folder: Path) -> Path:
    return folder / CLIP_NAME


def remove_upload(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def remove_uploads_of_camera(spool_dir: Path, camera_id: int) -> int:
    """Remove every upload of the camera still waiting in the spool; returns how many.

    For a camera (or account) being deleted: its waiting uploads must go with it, whether the
    pipeline has seen them yet or not. A handover that lands after this scan is refused by the
    pipeline, which checks the upload's login against the catalog.
    """
    removed = 0
    for folder in list_incoming(spool_dir):
        try:
            upload = read_upload(folder)
        except (OSError, ValueError, TypeError):
            continue  # gone meanwhile, or unreadable: the pipeline removes those itself
        if upload.camera_id == camera_id:
            remove_upload(folder)
            removed += 1
    return removed


def shorten_address(address: str) -> str:
    """Privacy: keep the network, drop the host part (IPv4 /24, IPv6 /48)."""
    if ":" in address:
        parts = address.split(":")
        return ":".join(parts[:3]) + "::/48"
    parts = address.split(".")
    if len(parts) == 4:
        return ".".join(parts[:3]) + ".0/24"
    return "?"
