"""Clip files: where recordings and thumbnails live, and the only code that moves or deletes them.

Clips that failed only the camera fingerprint wait in a quarantine area beside the recordings
(``<data_dir>/quarantine``) until their owner accepts or discards them, or they expire.

Paths in the catalog are relative to the recordings/thumbs roots, so the data directory can move
(and, later, clips can move to object storage behind this one module).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.settings.storage import StorageSettings


class ClipStore:
    def __init__(self, storage: StorageSettings) -> None:
        self.recordings_root = Path(storage.recordings_dir)
        self.thumbs_root = Path(storage.thumbs_dir)
        self.quarantine_root = Path(storage.data_dir) / "quarantine"

    def recording_relpath(self, camera_id: int, started_at: str, job_id: str, ext: str) -> str:
        """``<camera>/<YYYY-MM-DD>/<job>.<ext>``: deterministic, so a retried job finds its file."""
        return f"{camera_id}/{started_at[:10]}/{job_id}.{ext}"

    def playback_relpath(self, recording_relpath: str) -> str:
        """``<camera>/<YYYY-MM-DD>/<job>.playback.mp4``, beside the original: a retried job
        finds it, and deleting the recording's files removes it."""
        stem = recording_relpath.rsplit(".", 1)[0]
        return f"{stem}.playback.mp4"

    def thumb_relpath(self, recording_relpath: str, suffix: str = "poster") -> str:
        stem = recording_relpath.rsplit(".", 1)[0]
        return f"{stem}.{suffix}.jpg"

    def recording_file(self, relpath: str) -> Path:
        return self._inside(self.recordings_root, relpath)

    def thumb_file(self, relpath: str) -> Path:
        return self._inside(self.thumbs_root, relpath)

    def move_in(self, source: Path, relpath: str) -> Path:
        """Move a spooled clip into the recordings tree. Idempotent: a repeat after a crash
        finds the file already there."""
        target = self.recording_file(relpath)
        if source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
        elif not target.exists():
            raise FileNotFoundError(f"clip for {relpath} is neither in the spool nor stored")
        return target

    def write_derived(self, relpath: str, write: Callable[[Path], None]) -> Path:
        """Make a file derived from a recording (a playback copy) with ``write(partial)`` and
        move it into place atomically. Idempotent: a file already in place from an earlier try
        is kept, so a crash between making it and indexing neither loses nor repeats it."""
        target = self.recording_file(relpath)
        if target.exists():
            return target
        partial = target.with_name(target.name + ".partial")
        try:
            write(partial)
            with partial.open("rb") as handle:
                os.fsync(handle.fileno())
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return target

    def delete_recording_files(self, recording: dict[str, Any]) -> None:
        """Remove a recording's clip, poster and every derived file (playback copy, thumbnails,
        crops)."""
        relpath = recording["path"]
        clip = self.recording_file(relpath)
        with contextlib.suppress(FileNotFoundError):
            clip.unlink()
        stem = relpath.rsplit(".", 1)[0]
        for root in (self.recordings_root, self.thumbs_root):
            folder = self._inside(root, stem).parent
            if folder.is_dir():
                for derived in folder.glob(Path(stem).name + ".*"):
                    with contextlib.suppress(FileNotFoundError):
                        derived.unlink()
        for column, root in (
            ("thumb_path", self.thumbs_root),
            ("playback_path", self.recordings_root),
        ):
            if recording.get(column):
                with contextlib.suppress(FileNotFoundError):
                    self._inside(root, recording[column]).unlink()

    def delete_thumb(self, relpath: str) -> None:
        """A poster no recording uses any more (a snapshot-only recording that joined its
        clip)."""
        with contextlib.suppress(FileNotFoundError):
            self.thumb_file(relpath).unlink()

    def delete_still_files(self, paths: list[str]) -> None:
        """Stills' files and whatever was derived from them (a snapshot-only poster): the same
        file-stem rule as `delete_recording_files`."""
        for path in paths:
            self.delete_recording_files({"path": path})

    def quarantine_relpath(self, camera_id: int, job_id: str, ext: str) -> str:
        return f"{camera_id}/{job_id}.{ext}"

    def quarantine_file(self, relpath: str) -> Path:
        return self._inside(self.quarantine_root, relpath)

    def move_to_quarantine(self, source: Path, relpath: str) -> Path:
        """Move a spooled clip into quarantine; idempotent like `move_in`."""
        target = self.quarantine_file(relpath)
        if source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
        elif not target.exists():
            raise FileNotFoundError(f"clip for {relpath} is neither in the spool nor quarantined")
        return target

    def delete_quarantined(self, relpath: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.quarantine_file(relpath).unlink()

    @staticmethod
    def _inside(root: Path, relpath: str) -> Path:
        path = (root / relpath).resolve()
        if not path.is_relative_to(root.resolve()):
            raise ValueError(f"path {relpath!r} leaves its root")
        return path
