"""How much room this node's storage has: the figures that status, the admin page, the metrics,
the storage statistics and ingestd's free-space guard all read (`storage_spaces`).

Two areas can fill up apart from each other:

- **data**: the data folder: the upload jails, the spool, the SQLite catalog, and beside a
  bucket the working copies. Uploads are written here first.
- **media**: where recordings, posters, crops and quarantined clips are kept
  (``[storage] media``). A folder on another file system (a shared NFS/CephFS mount) is
  measured on its own; on the data folder's file system (the default: the data folder itself)
  it is the data area and not counted twice. A bucket has no free-space figure: it is shown as
  an object store, never as a number.

Free space is what an unprivileged process may still write (``f_bavail``, as ``df`` shows it),
so the reserve a file system keeps for root never counts as room.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TypeGuard

from core.media_store import media_folder
from core.settings.storage import StorageSettings

# What an area without a free-space figure is, instead of a number.
OBJECT_STORE = "object store"
# The errors of a write that found no room: the disk, or the user's quota on it, is full.
OUT_OF_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})


class StorageArea(StrEnum):
    DATA = "data"
    MEDIA = "media"


@dataclass(frozen=True)
class AreaSpace:
    """One file system that matters, with its figures in bytes; without figures (None) when
    it is an object store or cannot be read, and ``note`` says which."""

    area: StorageArea
    location: str
    total_bytes: int | None = None
    used_bytes: int | None = None
    free_bytes: int | None = None
    note: str | None = None

    @property
    def object_store(self) -> bool:
        return self.note == OBJECT_STORE

    def short_of(self, min_free_bytes: int) -> bool:
        """Whether less than ``min_free_bytes`` is left (an area without figures never is)."""
        return self.free_bytes is not None and self.free_bytes < min_free_bytes

    def as_dict(self) -> dict[str, str | int | None]:
        return {
            "area": str(self.area),
            "location": self.location,
            "total_bytes": self.total_bytes,
            "used_bytes": self.used_bytes,
            "free_bytes": self.free_bytes,
            "note": self.note,
        }


def storage_spaces(storage: StorageSettings) -> list[AreaSpace]:
    """The data area, then the media area where it is not on the data folder's file system.
    Cost: two stat and two statvfs calls (one round trip each on NFS)."""
    return list(each_storage_space(storage))


def each_storage_space(storage: StorageSettings) -> Iterator[AreaSpace]:
    """`storage_spaces` one area at a time, data first: a caller that waits on a hung mount
    knows which area it is waiting for (the one after the last it got)."""
    data_dir = Path(storage.data_dir)
    yield measure(StorageArea.DATA, data_dir)
    if not storage.media:
        return
    folder = media_folder(storage)
    if folder is None:
        yield AreaSpace(StorageArea.MEDIA, storage.media, note=OBJECT_STORE)
    elif not _same_file_system(folder, data_dir):
        yield measure(StorageArea.MEDIA, folder)


def measure(area: StorageArea, folder: Path) -> AreaSpace:
    """The file system of ``folder``; without figures, and the reason, if it cannot be read
    (an NFS mount that is gone)."""
    try:
        usage = shutil.disk_usage(folder)
    except OSError as error:
        return AreaSpace(area, str(folder), note=f"cannot be read: {error.strerror}")
    return AreaSpace(area, str(folder), usage.total, usage.used, usage.free)


def is_out_of_space(error: BaseException) -> TypeGuard[OSError]:
    """Whether ``error`` is a write that found its file system (or its quota) full."""
    return isinstance(error, OSError) and error.errno in OUT_OF_SPACE_ERRNOS


def _same_file_system(first: Path, second: Path) -> bool:
    try:
        return os.stat(first).st_dev == os.stat(second).st_dev
    except OSError:
        return False  # one cannot be read: measured apart, and that one says why
