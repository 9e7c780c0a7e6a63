"""How much a camera may upload: the owner's quota, the free-disk guard, the size cap.

Checked when an upload starts (so the client gets a clear refusal before sending anything)
and enforced while it runs by `CappedUploadFile`, which stops at the first byte over.

The free-disk guard answers from the latest figures of `FreeSpaceMonitor`, a thread of its
own: an upload start runs in pyftpdlib's single I/O loop, and a statvfs on a hard-mounted NFS
that hangs would stall every camera of the process with it.
"""

from __future__ import annotations

import errno
import logging
import threading
import time
from dataclasses import dataclass
from typing import BinaryIO

from core.settings import Settings
from core.settings.storage import StorageSettings
from core.storage_space import AreaSpace, StorageArea, each_storage_space
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
# The space cannot be told: its file system has not answered (a hung mount).
UNMEASURED_MESSAGES = {
    StorageArea.DATA: "Storage space on the server (upload area) cannot be checked; try later.",
    StorageArea.MEDIA: (
        "Storage space on the server (recordings store) cannot be checked; try later."
    ),
}
# How long `FreeSpaceMonitor.start` waits for its first figures: uploads that come at once
# are checked, and a hung mount delays start-up by this much only.
FIRST_MEASUREMENT_WAIT_S = 2.0
# How long `FreeSpaceMonitor.stop` waits for a measurement under way (its thread is a daemon:
# one stuck in a hung mount does not keep the process alive).
STOP_WAIT_S = 5.0


@dataclass(frozen=True)
class SpaceReading:
    """The latest figures, or the area whose measurement has not come back for too long."""

    spaces: tuple[AreaSpace, ...] = ()
    unanswered: StorageArea | None = None


class FreeSpaceMonitor:
    """Measures the storage areas every ``check_s`` on a thread of its own; `reading()` gives
    the latest figures without touching the file system. A measurement not back after
    ``timeout_s`` makes the reading say which area does not answer."""

    def __init__(self, storage: StorageSettings, check_s: float, timeout_s: float) -> None:
        self.storage = storage
        self.check_s = check_s
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._spaces: tuple[AreaSpace, ...] = ()
        self._measured_at = time.monotonic()
        self._waiting_for = StorageArea.DATA
        self._first = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._first.clear()
        with self._lock:
            self._measured_at = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="ingestd-free-space", daemon=True)
        self._thread.start()
        if not self._first.wait(min(FIRST_MEASUREMENT_WAIT_S, self.timeout_s)):
            logger.warning("free space: no figures yet at start-up; still measuring")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=STOP_WAIT_S)
            if self._thread.is_alive():
                logger.warning("free space: a measurement is still hanging at stop; left behind")
            self._thread = None

    def reading(self) -> SpaceReading:
        with self._lock:
            if time.monotonic() - self._measured_at > self.timeout_s:
                return SpaceReading(unanswered=self._waiting_for)
            return SpaceReading(spaces=self._spaces)

    def _run(self) -> None:
        while True:
            self._measure()
            self._first.set()
            if self._stop.wait(self.check_s):
                return

    def _measure(self) -> None:
        spaces: list[AreaSpace] = []
        area = StorageArea.DATA
        try:
            for space in each_storage_space(self.storage):
                spaces.append(space)
                # Areas come data first: the one a hang waits for is the next.
                area = StorageArea.MEDIA
                with self._lock:
                    self._waiting_for = area
        except Exception:
            logger.exception("free space: measuring the %s area failed", area)
            spaces = []  # no figures: as for an area that cannot be read, no refusal
        with self._lock:
            self._spaces = tuple(spaces)
            self._measured_at = time.monotonic()
            self._waiting_for = StorageArea.DATA


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
        self.monitor = FreeSpaceMonitor(
            settings.storage,
            settings.ingest.free_space_check_s,
            settings.ingest.free_space_timeout_s,
        )
        # The areas found short (or not answering) at the last look: logged when that starts
        # and when it ends, not at every refused upload. FTP's loop and SFTP threads both look.
        self._log_lock = threading.Lock()
        self._short: frozenset[StorageArea] = frozenset()
        self._unanswered: StorageArea | None = None

    def start(self) -> None:
        self.monitor.start()

    def stop(self) -> None:
        self.monitor.stop()

    def disk_left(self) -> tuple[int, StorageArea]:
        """Bytes left above ``min_free_mb`` in the area with the least, and which area that is.
        The media area counts where it is a folder on another file system: an upload the
        pipeline cannot store there would wait in the spool, unindexed. `UploadLimitExceeded`
        when the figures are too old to tell (the file system does not answer)."""
        reading = self.monitor.reading()
        self._log_unanswered(reading.unanswered)
        if reading.unanswered is not None:
            raise UploadLimitExceeded(DISK, UNMEASURED_MESSAGES[reading.unanswered])
        spaces = [space for space in reading.spaces if space.free_bytes is not None]
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

    def _log_unanswered(self, area: StorageArea | None) -> None:
        with self._log_lock:
            if area == self._unanswered:
                return
            if area is not None:
                logger.warning(
                    "uploads refused: the free space of the %s area (%s) has not been measured "
                    "for over %g s (its file system does not answer); cameras are told to "
                    "try later",
                    area,
                    self._location(area),
                    self.monitor.timeout_s,
                )
            else:
                logger.info("uploads accepted again: the free space can be measured again")
            self._unanswered = area

    def _log_changes(self, short: set[StorageArea]) -> None:
        """Say when an area becomes short of room and when it has room again."""
        with self._log_lock:
            for area in sorted(short - self._short):
                logger.warning(
                    "uploads refused: the %s area (%s) has less than [storage] min_free_mb ="
                    " %d MB free; cameras are told to try later",
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
