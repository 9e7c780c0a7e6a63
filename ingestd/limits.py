"""How much a camera may upload: the owner's quota, the free-disk guard, the size cap.

Checked when an upload starts (so the client gets a clear refusal before sending anything)
and enforced while it runs by `CappedUploadFile`, which stops at the first byte over.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from core.settings import Settings
from ingestd.credentials import CameraAccount

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


@dataclass(frozen=True)
class UploadAllowance:
    """Bytes one upload may write, and which limit ends it."""

    cap_bytes: int
    kind: str


class StorageGuard:
    """The upload limits of one ingestd process."""

    def __init__(self, settings: Settings) -> None:
        self.uploads_dir: Path = settings.storage.uploads_dir
        self.min_free_bytes = settings.storage.min_free_mb * MIB
        self.max_upload_bytes = settings.ingest.max_upload_mb * MIB

    def free_bytes(self) -> int:
        stats = os.statvfs(self.uploads_dir)
        return stats.f_bavail * stats.f_frsize

    def allowance(self, account: CameraAccount, session_bytes: int) -> UploadAllowance:
        """What the next upload may write; `UploadLimitExceeded` if it may not start at all."""
        disk_left = self.free_bytes() - self.min_free_bytes
        if disk_left <= 0:
            raise UploadLimitExceeded(DISK, "Insufficient storage space on the server; try later.")
        quota_left = account.quota_left_bytes - session_bytes
        if quota_left <= 0:
            raise UploadLimitExceeded(
                QUOTA, "Storage quota exceeded; delete recordings in the web UI."
            )
        limits = [(self.max_upload_bytes, SIZE), (quota_left, QUOTA), (disk_left, DISK)]
        cap, kind = min(limits)
        return UploadAllowance(cap, kind)


def limit_error(kind: str) -> UploadLimitExceeded:
    """The error for an upload that ran past its allowance while being written."""
    messages = {
        QUOTA: "Storage quota exceeded; delete recordings in the web UI.",
        DISK: "Insufficient storage space on the server; try later.",
        SIZE: "File too large for an alarm clip.",
    }
    return UploadLimitExceeded(kind, messages[kind])


class CappedUploadFile:
    """A file open for upload that refuses to grow past its allowance."""

    def __init__(self, file: BinaryIO, allowance: UploadAllowance) -> None:
        self.file = file
        self.name = file.name
        self.allowance = allowance
        self.written = file.tell()

    def write(self, data: bytes) -> int:
        if self.written + len(data) > self.allowance.cap_bytes:
            raise limit_error(self.allowance.kind)
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
