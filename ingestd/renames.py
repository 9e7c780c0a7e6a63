"""Uploads under a temporary name: they wait in the jail for their rename to a final name.

Clients and firmware upload ``clip.mp4.tmp`` (or ``.part``, ``~``, ``.filepart``, a leading
dot) and rename it once it is whole (ncftpput ``-S``, curl ``-Q "-RNFR ..."``, WinSCP, many
cameras). Handing such a file over the moment its upload completes would make the rename fail
and index the clip under the temporary name, with the upload time as its alarm time. So it
waits for the rename; if none comes within ``[ingest] rename_timeout_s`` it is handed over under
its own name, with a log line saying so; so is the oldest of a camera's waiting uploads when
it has more than ``[ingest] max_uploads_awaiting_rename``.

The waiting list is per process: an FTP or SFTP session renames on its own connection, so in
the process that received the upload. A rename from a temporary to a final name that this
process did not see completing (another worker's connection) is handed over all the same.
"""

from __future__ import annotations

import fnmatch
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ingestd.credentials import CameraAccount

logger = logging.getLogger(__name__)


class TemporaryNames:
    """The `[ingest] temporary_names` patterns: which file names are not final yet."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(pattern.lower() for pattern in patterns)

    def match(self, name: str) -> bool:
        lowered = name.lower()
        return any(fnmatch.fnmatchcase(lowered, pattern) for pattern in self.patterns)


@dataclass(frozen=True)
class AwaitingRename:
    """A complete upload under a temporary name, and what its handover will need."""

    account: CameraAccount
    protocol: str
    remote_ip: str
    started_at: str
    deadline: float


class RenameWaits:
    """The uploads of this process that wait for a rename, and the thread that ends the wait."""

    def __init__(
        self,
        temporary_names: TemporaryNames,
        timeout_s: float,
        hand_over_late: Callable[[str, AwaitingRename], object],
        max_per_camera: int = 16,
    ) -> None:
        self.temporary_names = temporary_names
        self.timeout_s = timeout_s
        # Each waiting upload is a whole clip in the jail, outside the owner's quota until it
        # is handed over: without a bound a camera could park uploads faster than they expire.
        self.max_per_camera = max_per_camera
        self._hand_over_late = hand_over_late
        self._waiting: dict[str, AwaitingRename] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wait_for_rename(
        self,
        account: CameraAccount,
        fs_path: str,
        *,
        protocol: str,
        remote_ip: str,
        started_at: str,
    ) -> None:
        awaiting = AwaitingRename(
            account, protocol, remote_ip, started_at, time.monotonic() + self.timeout_s
        )
        with self._lock:
            self._waiting.pop(fs_path, None)  # written again: now the newest
            self._waiting[fs_path] = awaiting
            # Insertion order is arrival order: the camera's oldest waits come first.
            same_camera = [
                path
                for path, item in self._waiting.items()
                if item.account.camera_id == account.camera_id
            ]
            too_many = same_camera[: max(0, len(same_camera) - self.max_per_camera)]
            evicted = [(path, self._waiting.pop(path)) for path in too_many]
        if evicted:
            logger.info(
                "camera=%d: more than %d uploads waiting for a rename; the oldest handed over",
                account.camera_id,
                self.max_per_camera,
            )
        self._hand_over(evicted)

    def take(self, fs_path: str) -> AwaitingRename | None:
        """Stop waiting for ``fs_path`` (renamed, written again); what was waiting, if any."""
        with self._lock:
            return self._waiting.pop(fs_path, None)

    def overdue(self, now: float | None = None) -> list[tuple[str, AwaitingRename]]:
        """Take every upload whose wait has ended (all of them with ``now=inf``)."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            due = [(path, item) for path, item in self._waiting.items() if item.deadline <= moment]
            for path, _ in due:
                del self._waiting[path]
        return due

    def hand_over_overdue(self, now: float | None = None) -> None:
        self._hand_over(self.overdue(now))

    def _hand_over(self, due: list[tuple[str, AwaitingRename]]) -> None:
        for fs_path, awaiting in due:
            try:
                self._hand_over_late(fs_path, awaiting)
            except Exception:
                logger.exception("late handover of an upload that was never renamed failed")

    # --- the thread that ends waits

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="ingestd-renames", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """End the thread; uploads still waiting are handed over now (they are complete)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.hand_over_overdue(now=float("inf"))

    def _run(self) -> None:
        interval = min(1.0, self.timeout_s / 4)
        while not self._stop.wait(interval):
            self.hand_over_overdue()
