"""How much a camera may upload: the owner's quota, the free-disk guard, the size cap.

Checked when an upload starts (so the client gets a clear refusal before sending anything)
and enforced while it runs by `CappedUploadFile`, which stops at the first byte over.
"""

from __future__ import annotations

import errno
import logging
from dataclasses import dataclass
from typing import BinaryIO

from core.settings import Settings
from core.storage_space import StorageArea, storage_spaces
from ingestd.credentials import CameraAccount

logger = logging.getLogger(__name__)

MIB = 1024 * 1024

QUOTA = "quota"
DISK = "disk"
SIZE = "size"


class UploadLimitExceeded(OSError):
    """An upload ran into a limit; ``kind`` says which (quota, disk or size)."""

    def __init__(self, kind: str, message: str) -> None:
        code = errno.ENOSPC if kind == DISK else errno.EDQUOT if kind == QUOTA else errno.EFBIG
        super().__init__(code, message)
        self.kind = kind
        self.message = message

    def __str__(self) -> str:
        return self.message


MESSAGES = {
    QUOTA: "Storage quota exceeded; delete recordings in the web UI.",
    SIZE: "File too large for an alarm clip.",
}
# Which space is short, in words a camera's log may show (never the server's paths).
DISK_MESSAGES = {
    StorageArea.DATA: "Insufficient storage space on the server (upload area); try later.",
    StorageArea.MEDIA: "Insufficient storage space on the server (recordings store); try later.",
}


@dataclass(frozen=True)
class UploadAllowance:
    """Bytes one upload may write, which limit ends it, and what the client is told then."""

    cap_bytes: int
    kind: str
    message: str


class StorageGuard:
    """The upload limits of one ingestd process."""

    def __init__(self, settings: Settings) -> None:
        self.storage = settings.storage
        self.min_free_bytes = settings.storage.min_free_mb * MIB
        self.max_upload_bytes = settings.ingest.max_upload_mb * MIB
        # The areas found short at the last look: logged when one runs short and when it
        # recovers, not at every refused upload.
        self._short: frozenset[StorageArea] = frozenset()

    def disk_left(self) -> tuple[int, StorageArea]:
        """Bytes left above ``min_free_mb`` in the area with the least, and which area that is.
        The media area counts where it is a folder on another file system: an upload the
        pipeline cannot store there would wait in the spool, unindexed."""
        spaces = [space for space in storage_spaces(self.storage) if space.free_bytes is not None]
        self._log_changes({space.area for space in spaces if space.short_of(self.min_free_bytes)})
        if not spaces:
            return self.max_upload_bytes, StorageArea.DATA  # nothing to measure: no refusal
        tightest = min(spaces, key=lambda space: space.free_bytes or 0)
        return (tightest.free_bytes or 0) - self.min_free_bytes, tightest.area

    def allowance(self, account: CameraAccount, session_bytes: int) -> UploadAllowance:
        """What the next upload may write; `UploadLimitExceeded` if it may not start at all."""
        disk_left, area = self.disk_left()
        if disk_left <= 0:
            raise UploadLimitExceeded(DISK, DISK_MESSAGES[area])
        quota_left = account.quota_left_bytes - session_bytes
        if quota_left <= 0:
            raise UploadLimitExceeded(QUOTA, MESSAGES[QUOTA])
        limits = [
            (self.max_upload_bytes, SIZE, MESSAGES[SIZE]),
            (quota_left, QUOTA, MESSAGES[QUOTA]),
            (disk_left, DISK, DISK_MESSAGES[area]),
        ]
        cap, kind, message = min(limits)
        return UploadAllowance(cap, kind, message)

    def _log_changes(self, short: set[StorageArea]) -> None:
        for area in sorted(short - self._short):
            logger.warning(
                "uploads refused: the %s area (%s) has less than [storage] min_free_mb = %d MB "
                "free; cameras are told to try later",
                area,
                self._location(area),
                self.min_free_bytes // MIB,
            )
        for area in sorted(self._short - short):
            logger.info("uploads accepted again: the %s area has room", area)
        self._short = frozenset(short)

    def _location(self, area: StorageArea) -> str:
        if area is StorageArea.MEDIA and self.storage.media:
            return self.storage.media
        return str(self.storage.data_dir)


class CappedUploadFile:
    """A file open for upload that refuses to grow past its allowance."""

    def __init__(self, file: BinaryIO, allowance: UploadAllowance) -> None:
        self.file = file
        self.name = file.name
        self.allowance = allowance
        self.written = file.tell()

    def write(self, data: bytes) -> int:
        if self.written + len(data) > self.allowance.cap_bytes:
            raise UploadLimitExceeded(self.allowance.kind, self.allowance.message)
        self.written += len(data)
        return self.file.write(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        position = self.file.seek(offset, whence)
        self.written = position
        return position

    def tell(self) -> int:
        return self.file.tell()

    def fileno(self) -> int:
        return self.file.fileno()

    def close(self) -> None:
        self.file.close()

    @property
    def closed(self) -> bool:
        return self.file.closed
