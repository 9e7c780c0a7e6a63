"""Clip files: where recordings and thumbnails live, and the only code that moves or deletes them.

Clips that failed only the camera fingerprint wait in a quarantine area beside the recordings
(``quarantine/`` in the media store) until their owner accepts or discards them, or they expire:
like a recording, on the storage every node shares, so any node may accept one. Before, they
waited in the data folder of the node that received them (``<data_dir>/quarantine``); such a
clip is still found there, and the pipeline moves them into the store when it starts
(`adopt_node_quarantine`).

Paths in the catalog are relative to the recordings/thumbs roots, so the data directory can move.
Where they are kept for good is the media store (`core.media_store`): with a folder (the data
folder by default, or a shared mount) the roots are in it and the files are made in place; with
an S3 bucket the roots are this node's working copies, and `publish` uploads a recording's files
before its row is committed (the row never points at nothing), `local_recording` fetches a clip
another node stored, and playback and downloads are pre-signed links (`media_link`).

A node that dies in the middle of a copy leaves a partial file in one of these folders, or an
unfinished multipart upload in the bucket; `remove_unfinished` (the daily upkeep) clears them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.media_store import (
    MediaStore,
    PosixMediaStore,
    S3MediaStore,
    is_partial_name,
    media_store,
    move_file,
    remove_partial_files,
)
from core.settings.storage import StorageSettings

RECORDINGS_AREA = "recordings"
THUMBS_AREA = "thumbs"
QUARANTINE_AREA = "quarantine"
MEDIA_AREAS = (RECORDINGS_AREA, THUMBS_AREA, QUARANTINE_AREA)


class ClipStore:
    def __init__(self, storage: StorageSettings, media: MediaStore | None = None) -> None:
        self.media = media if media is not None else media_store(storage)
        # A folder store holds the files where they are made; a bucket needs local copies.
        root = self.media.root if isinstance(self.media, PosixMediaStore) else storage.data_dir
        self.recordings_root = Path(root) / RECORDINGS_AREA
        self.thumbs_root = Path(root) / THUMBS_AREA
        self.quarantine_root = Path(root) / QUARANTINE_AREA
        # Where a node kept its quarantined clips before they moved to the media store (the
        # same folder when the store is the data folder).
        self.node_quarantine_root = Path(storage.data_dir) / QUARANTINE_AREA

    @property
    def shared_elsewhere(self) -> bool:
        """Whether the files are kept in the media store apart from the local roots."""
        return not isinstance(self.media, PosixMediaStore)

    def _local_files(self, relpath: str) -> list[tuple[str, Path]]:
        """``(key, local file)`` of every local file of the recording (clip, poster, playback
        copy, detection frames and plate crops: their names start with the clip's stem)."""
        stem = relpath.rsplit(".", 1)[0]
        found = []
        for area, root in (
            (RECORDINGS_AREA, self.recordings_root),
            (THUMBS_AREA, self.thumbs_root),
        ):
            folder = self._inside(root, stem).parent
            if folder.is_dir():
                for path in sorted(folder.glob(Path(stem).name + ".*")):
                    if not is_partial_name(path.name):
                        key = f"{area}/{path.relative_to(root.resolve()).as_posix()}"
                        found.append((key, path))
        return found

    def publish(self, relpath: str) -> None:
        """Store the recording's local files in the media store, before the catalog row that
        points at them is committed. Nothing to do where the store is the local folder."""
        if self.shared_elsewhere:
            for key, path in self._local_files(relpath):
                self.media.put_file(path, key)

    def drop_local(self, relpath: str) -> None:
        """Remove this node's working copies once the store holds the files (a bucket store
        only; with a folder store they are the stored files)."""
        if self.shared_elsewhere:
            for _, path in self._local_files(relpath):
                path.unlink(missing_ok=True)

    def local_recording(self, relpath: str) -> Path:
        """The clip as a file here: fetched from the bucket when another node stored it."""
        path = self.recording_file(relpath)
        if self.shared_elsewhere and not path.exists():
            self.media.fetch(f"{RECORDINGS_AREA}/{relpath}", path)
        return path

    def media_link(
        self,
        area: str,
        relpath: str,
        *,
        content_type: str,
        filename: str,
        attachment: bool = False,
    ) -> str | None:
        """A short-lived link to the stored file for the browser, or None: the web node
        serves the local file."""
        return self.media.playback_url(
            f"{area}/{relpath}",
            content_type=content_type,
            filename=filename,
            attachment=attachment,
        )

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
            move_file(source, target)  # a shared media folder may be another mount
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
        if self.shared_elsewhere:
            keys = [
                item.key
                for area in (RECORDINGS_AREA, THUMBS_AREA)
                for item in self.media.list(f"{area}/{stem}.")
            ]
            self.media.delete(keys)

    def delete_thumb(self, relpath: str) -> None:
        """A poster no recording uses any more (a snapshot-only recording that joined its
        clip)."""
        with contextlib.suppress(FileNotFoundError):
            self.thumb_file(relpath).unlink()
        if self.shared_elsewhere:
            self.media.delete([f"{THUMBS_AREA}/{relpath}"])

    def delete_still_files(self, paths: list[str]) -> None:
        """Stills' files and whatever was derived from them (a snapshot-only poster): the same
        file-stem rule as `delete_recording_files`."""
        for path in paths:
            self.delete_recording_files({"path": path})

    def quarantine_relpath(self, camera_id: int, job_id: str, ext: str) -> str:
        return f"{camera_id}/{job_id}.{ext}"

    def quarantine_file(self, relpath: str) -> Path:
        """Where the quarantined clip is stored (a folder store) or fetched to (a bucket)."""
        return self._inside(self.quarantine_root, relpath)

    def move_to_quarantine(self, source: Path, relpath: str) -> None:
        """Move a spooled clip into the store's quarantine; idempotent like `move_in`."""
        try:
            self.media.move_in(source, f"{QUARANTINE_AREA}/{relpath}")
        except FileNotFoundError:
            raise FileNotFoundError(
                f"clip for {relpath} is neither in the spool nor quarantined"
            ) from None

    def quarantined_clip(self, relpath: str) -> Path:
        """The quarantined clip as a file on this node, to index it: the store's file, a copy
        fetched from the bucket, or one still where an older version kept it on this node."""
        kept_here = self._inside(self.node_quarantine_root, relpath)
        if kept_here.exists():
            return kept_here
        path = self.quarantine_file(relpath)
        if self.shared_elsewhere:
            self.media.fetch(f"{QUARANTINE_AREA}/{relpath}", path)
        return path

    def delete_quarantined(self, relpath: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._inside(self.node_quarantine_root, relpath).unlink()
        self.media.delete([f"{QUARANTINE_AREA}/{relpath}"])
        if self.shared_elsewhere:
            with contextlib.suppress(FileNotFoundError):
                self.quarantine_file(relpath).unlink()

    def adopt_node_quarantine(self) -> int:
        """Move the clips an older version quarantined in this node's data folder into the
        store, so any node may accept them (upgrade in place); how many were moved. Nothing to
        do when the store is the data folder."""
        root = self.node_quarantine_root
        if not root.is_dir() or (
            not self.shared_elsewhere and root.resolve() == self.quarantine_root.resolve()
        ):
            return 0
        moved = 0
        for path in sorted(root.rglob("*")):
            if path.is_file() and not is_partial_name(path.name):
                self.media.move_in(path, f"{QUARANTINE_AREA}/{path.relative_to(root).as_posix()}")
                moved += 1
        return moved

    def remove_unfinished(self, started_before: float) -> dict[str, int]:
        """Remove what copies that a dead node began before ``started_before`` (epoch seconds)
        left: partial files in the store's areas (a folder store), in this node's working
        copies (a bucket store) and in the node's old quarantine folder, and the bucket's
        unfinished multipart uploads under the areas' keys (never other prefixes). Returns
        ``partial_files`` and ``uploads_aborted``."""
        folders = {
            root.resolve()
            for root in (
                self.recordings_root,
                self.thumbs_root,
                self.quarantine_root,
                self.node_quarantine_root,
            )
        }
        removed = sum(remove_partial_files(folder, started_before) for folder in sorted(folders))
        aborted = 0
        if isinstance(self.media, S3MediaStore):
            aborted = sum(
                self.media.abort_unfinished_uploads(f"{area}/", started_before)
                for area in MEDIA_AREAS
            )
        return {"partial_files": removed, "uploads_aborted": aborted}

    @staticmethod
    def _inside(root: Path, relpath: str) -> Path:
        path = (root / relpath).resolve()
        if not path.is_relative_to(root.resolve()):
            raise ValueError(f"path {relpath!r} leaves its root")
        return path
