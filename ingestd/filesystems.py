"""Where a camera's path may go: the one jail check that FTP and SFTP share.

A client path is joined to the jail and normalised; then the *real* path (every symlink
resolved, the last component too) must lie inside the jail's real path. So ``..``, absolute
paths and symlinks that someone placed in the jail all stay inside or are refused. Files are
opened with ``O_NOFOLLOW`` so that a symlink swapped in after the check is not followed either.
"""

from __future__ import annotations

import errno
import logging
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from pyftpdlib.filesystems import AbstractedFS, FilesystemError

from core.settings import Settings
from core.settings.ingest import IngestSettings
from core.upload_folders import folder_count, subtree_depth

logger = logging.getLogger(__name__)

# DELE/remove of an upload that has left the jail already.
MSG_HANDED_OVER = "Already received and handed over for processing; it can no longer be deleted"

# Owner read/write, group read: the pipeline may run as another user of the same group.
FILE_MODE = 0o640
DIR_MODE = 0o750


class OutsideJail(PermissionError):
    """A path resolves to somewhere outside the camera's jail."""

    def __init__(self, path: str) -> None:
        super().__init__(errno.EACCES, "Path is outside your upload folder", path)


class FolderLimit(StrEnum):
    """Which of a camera's folder limits a new folder would pass."""

    COUNT = "count"
    DEPTH = "depth"


class FolderLimitReached(FilesystemError):
    """A new folder would pass the camera's folder count or depth; the message says which.

    A pyftpdlib `FilesystemError` (not an OSError) so that its 550 reply carries the message.
    """

    def __init__(self, reason: FolderLimit, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True)
class FolderLimits:
    """How many folders a camera may have in its jail, and how deep they may nest."""

    max_folders: int
    max_depth: int

    @classmethod
    def for_settings(cls, settings: Settings) -> FolderLimits:
        ingest = settings.ingest
        return cls(ingest.max_folders_per_camera, ingest.max_folder_depth)

    def count_reached(self) -> FolderLimitReached:
        return FolderLimitReached(
            FolderLimit.COUNT, f"Folder limit reached ({self.max_folders} per camera)"
        )

    def too_deep(self) -> FolderLimitReached:
        return FolderLimitReached(
            FolderLimit.DEPTH, f"Folder too deep (at most {self.max_depth} levels)"
        )


# Tests and tools that open a jail without settings: the settings' defaults.
DEFAULT_FOLDER_LIMITS = FolderLimits(
    IngestSettings().max_folders_per_camera, IngestSettings().max_folder_depth
)


class Jail:
    """A camera's upload folder and the check that keeps every path inside it."""

    def __init__(
        self, root: Path | str, folder_limits: FolderLimits = DEFAULT_FOLDER_LIMITS
    ) -> None:
        self.root = os.path.realpath(root)
        self.folder_limits = folder_limits

    def contains(self, real_or_fs_path: str) -> bool:
        """True if ``real_or_fs_path``, with every symlink resolved, is the jail or inside it."""
        resolved = os.path.realpath(real_or_fs_path)
        return resolved == self.root or resolved.startswith(self.root + os.sep)

    def to_fs(self, client_path: str, cwd: str = "/") -> str:
        """The filesystem path for a client path (relative to ``cwd``, a jail-absolute path).

        An absolute client path is absolute inside the jail. A path whose ``..`` would climb
        above the jail's top is refused (`OutsideJail`) rather than quietly clamped.
        """
        parts: list[str] = []
        joined = client_path if client_path.startswith("/") else f"{cwd}/{client_path}"
        for part in joined.split("/"):
            if part in ("", "."):
                continue
            if part == "..":
                if not parts:
                    raise OutsideJail(client_path)
                parts.pop()
            else:
                parts.append(part)
        return os.path.join(self.root, *parts)

    def to_client(self, fs_path: str) -> str:
        """The jail-absolute path a client sees for ``fs_path`` (``/`` for the jail itself)."""
        relative = os.path.relpath(os.path.normpath(fs_path), self.root)
        if relative == "." or relative.startswith(".."):
            return "/"
        return "/" + relative.replace(os.sep, "/")

    def relative(self, fs_path: str) -> str:
        """``fs_path`` relative to the jail, as the spool's ``original_path`` records it."""
        return self.to_client(fs_path).lstrip("/")

    def check(self, fs_path: str) -> str:
        """``fs_path`` if it stays inside the jail, else `OutsideJail`."""
        if not self.contains(fs_path):
            raise OutsideJail(fs_path)
        return fs_path

    def open_for_upload(self, fs_path: str, *, append: bool = False, resume: bool = False):
        """Open a file inside the jail for writing, never through a symlink."""
        self.check(fs_path)
        flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        if append:
            flags |= os.O_APPEND
        elif not resume:
            flags |= os.O_TRUNC

        def opener(path: str, _flags: int) -> int:
            return os.open(path, flags, FILE_MODE)

        # Our flags, not open()'s: "wb" would truncate a file that REST is about to resume.
        return open(fs_path, "ab" if append else "wb", opener=opener)

    def make_dirs(self, fs_path: str, *, parents: bool = True) -> None:
        """Create a folder and any missing parents (cameras send ``MKD a/b/c`` for day folders),
        each with `DIR_MODE` (os.makedirs gives parents the umask's mode); without ``parents``
        (SFTP's mkdir) a missing parent is an error.

        Within the camera's `FolderLimits`, else `FolderLimitReached`: a camera that creates
        folders without end would fill the disk's inodes and slow every listing.
        """
        self.check(fs_path)
        missing = []
        folder = os.path.normpath(fs_path)
        while not os.path.lexists(folder):
            missing.append(folder)
            folder = os.path.dirname(folder)
        if not missing:
            raise FileExistsError(errno.EEXIST, "Folder exists already", fs_path)
        if not parents and len(missing) > 1:
            raise FileNotFoundError(errno.ENOENT, "No such folder", os.path.dirname(fs_path))
        limits = self.folder_limits
        if self.depth(fs_path) > limits.max_depth:
            raise limits.too_deep()
        if folder_count(self.root, limits.max_folders + 1) + len(missing) > limits.max_folders:
            raise limits.count_reached()
        for path in reversed(missing):
            os.mkdir(path, DIR_MODE)

    def depth(self, fs_path: str) -> int:
        """How many folders deep ``fs_path`` is in the jail (the jail itself: 0)."""
        relative = self.relative(fs_path)
        return len(relative.split("/")) if relative else 0

    def check_folder_move(self, source: str, destination: str) -> None:
        """A rename that moves a folder must leave its deepest folder within the depth limit."""
        if os.path.islink(source) or not os.path.isdir(source):
            return
        if self.depth(destination) + subtree_depth(source) > self.folder_limits.max_depth:
            raise self.folder_limits.too_deep()


def log_folder_refusal(identity: str, protocol: str, refusal: FolderLimitReached) -> None:
    """One line per refused folder: who (shortened address, camera id) and why, never its name."""
    logger.info("%s %s folder refused: reason=%s", identity, protocol, refusal.reason)


class UploadsHandedOver(Protocol):
    """The uploads of a session that have left the jail but that its client may still look at:
    clients list or stat the file they just sent to check it (rclone, paramiko)."""

    def stat_of(self, fs_path: str) -> os.stat_result | None: ...

    def names_in(self, fs_folder: str) -> list[str]: ...


class JailedFS(AbstractedFS):
    """pyftpdlib's filesystem view, with every path decision taken by `Jail`."""

    def __init__(self, root: str, cmd_channel) -> None:
        super().__init__(root, cmd_channel)
        self.jail = Jail(root, getattr(cmd_channel, "folder_limits", DEFAULT_FOLDER_LIMITS))
        # Set by the handler: wraps each file opened for upload (to enforce the size limits).
        self.upload_wrapper = None
        # Set by the handler: its handed-over uploads show in listings and stat (LIST, MLSD,
        # MLST) as if they were still here.
        self.handed_over: UploadsHandedOver | None = None

    def lstat(self, path: str) -> os.stat_result:
        try:
            return super().lstat(path)
        except FileNotFoundError:
            handed_over = self.handed_over.stat_of(path) if self.handed_over else None
            if handed_over is None:
                raise
            return handed_over

    def stat(self, path: str) -> os.stat_result:
        try:
            return super().stat(path)
        except FileNotFoundError:
            handed_over = self.handed_over.stat_of(path) if self.handed_over else None
            if handed_over is None:
                raise
            return handed_over

    def ftp2fs(self, ftppath: str) -> str:
        try:
            return self.jail.to_fs(ftppath, self.cwd)
        except OutsideJail:
            # pyftpdlib calls this outside any try; a path validpath() refuses gives the client
            # a 550 instead of a dropped connection.
            return os.path.dirname(self.jail.root)

    def fs2ftp(self, fspath: str) -> str:
        return self.jail.to_client(fspath)

    def validpath(self, path: str) -> bool:
        return self.jail.contains(path)

    def open(self, filename: str, mode: str):
        if "r" in mode and "+" not in mode:
            raise FilesystemError("Downloads are not allowed")
        file = self.jail.open_for_upload(filename, append="a" in mode, resume="+" in mode)
        return self.upload_wrapper(file) if self.upload_wrapper else file

    def mkstemp(self, suffix="", prefix="", dir=None, mode="wb"):
        raise FilesystemError("STOU is not supported; use STOR")

    def chdir(self, path: str) -> None:
        # pyftpdlib's version calls os.chdir, which would move every thread of the process.
        self.jail.check(path)
        if not os.path.isdir(path):
            raise FilesystemError("Not a directory")
        self.cwd = self.fs2ftp(path)

    def mkdir(self, path: str) -> None:
        try:
            self.jail.make_dirs(path)
        except FolderLimitReached as refusal:
            log_folder_refusal(self.cmd_channel.log_identity, "ftp", refusal)
            raise

    def listdir(self, path: str) -> list[str]:
        self.jail.check(path)
        names = super().listdir(path)
        if self.handed_over is not None:
            present = set(names)
            names += [name for name in self.handed_over.names_in(path) if name not in present]
        return names

    def rmdir(self, path: str) -> None:
        self.jail.check(path)
        if os.path.realpath(path) == self.jail.root:
            raise FilesystemError("Can't remove your upload folder")
        super().rmdir(path)

    def remove(self, path: str) -> None:
        # lexists and not realpath: a symlink itself may be removed, never what it points at.
        self.jail.check(os.path.dirname(path))
        if not os.path.lexists(path):
            if self.handed_over is not None and self.handed_over.stat_of(path) is not None:
                raise FilesystemError(MSG_HANDED_OVER)
            raise FilesystemError("No such file")
        if os.path.islink(path) or not os.path.isfile(path):
            raise FilesystemError("Not a file")
        super().remove(path)

    def rename(self, src: str, dst: str) -> None:
        self.jail.check(src)
        self.jail.check(dst)
        if os.path.islink(src):
            raise FilesystemError("Not a file")
        try:
            self.jail.check_folder_move(src, dst)
        except FolderLimitReached as refusal:
            log_folder_refusal(self.cmd_channel.log_identity, "ftp", refusal)
            raise
        super().rename(src, dst)

    def chmod(self, path: str, mode) -> None:
        raise FilesystemError("Not allowed")

    def utime(self, path: str, timeval) -> None:
        # MFMT on a camera's own file (one waiting for its rename): never through a symlink.
        self.jail.check(os.path.dirname(path))
        if os.path.islink(path) or not os.path.isfile(path):
            raise FilesystemError("No such file")
        os.utime(path, (timeval, timeval), follow_symlinks=False)
