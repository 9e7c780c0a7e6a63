"""File operations for a camera over SFTP (paramiko SFTPServerInterface): upload-only, jailed.

Every path goes through the same `Jail` as FTP. Operations never raise: errors become status
codes via ``SFTPServer.convert_errno``, refusals carry a message for the camera.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
from collections.abc import Callable

from paramiko import SFTPAttributes, SFTPServer, SFTPServerInterface
from paramiko.sftp import (
    SFTP_FAILURE,
    SFTP_NO_SUCH_FILE,
    SFTP_OK,
    SFTP_OP_UNSUPPORTED,
    SFTP_PERMISSION_DENIED,
)

from core.catalog import utcnow
from ingestd.filesystems import (
    MSG_HANDED_OVER,
    FolderLimitReached,
    Jail,
    OutsideJail,
    log_folder_refusal,
)
from ingestd.limits import CappedUploadFile, UploadLimitExceeded
from ingestd.sftp.handle import MSG_NO_DOWNLOADS, MSG_NOT_STORED, UploadHandle
from ingestd.sftp.protocol import StatusWithMessage
from ingestd.sftp.server import CameraSSHServer

logger = logging.getLogger(__name__)

MSG_OUTSIDE = "Path is outside your upload folder."
MSG_TOO_MANY_OPEN = "Too many files open at once (%d per session); close one first."


class JailedSFTPServer(SFTPServerInterface):
    """The SFTP side of one camera session."""

    def __init__(self, server: CameraSSHServer, *args, **kwargs) -> None:
        super().__init__(server, *args, **kwargs)
        self.session = server
        self._jail = Jail(server.account.jail, server.folder_limits) if server.account else None

    @property
    def jail(self) -> Jail:
        """The camera's jail; `_run` refuses every operation before a login gave one."""
        if self._jail is None:
            raise PermissionError(errno.EACCES, "not logged in")
        return self._jail

    def session_started(self) -> None:
        self.session.subsystem_threads.append(threading.current_thread())
        if self.session.account is not None:
            self.session.handover.session_started(self.session.account)
        logger.debug("%s sftp session started", self.session.log_identity)

    def session_ended(self) -> None:
        # Handles still open now belong to a connection that went away: see UploadHandle.close.
        self.session.ended.set()
        if self.session.account is not None:
            self.session.handover.session_ended(
                self.session.account, self.session.handed_over.folders()
            )
        logger.debug("%s sftp session ended", self.session.log_identity)

    # --- helpers

    def _run(self, operation: str, path: str, action: Callable[[str], object]):
        """Resolve ``path`` in the jail and run ``action`` on it; errors become status codes."""
        self.session.touch()
        logger.debug("%s sftp %s %r", self.session.log_identity, operation, path)
        if self.session.refusal or self._jail is None:
            return StatusWithMessage(SFTP_PERMISSION_DENIED, self.session.refusal or "Refused")
        try:
            fs_path = self.jail.check(self.jail.to_fs(path))
            return action(fs_path)
        except OutsideJail:
            return StatusWithMessage(SFTP_PERMISSION_DENIED, MSG_OUTSIDE)
        except UploadLimitExceeded as error:
            return StatusWithMessage(SFTP_FAILURE, error.message)
        except FolderLimitReached as refusal:
            log_folder_refusal(self.session.log_identity, "sftp", refusal)
            return StatusWithMessage(SFTP_FAILURE, refusal.message + ".")
        except OSError as error:
            return SFTPServer.convert_errno(error.errno)

    # --- paths and listings

    def canonicalize(self, path: str) -> str:
        if self._jail is None:
            return "/"
        try:
            return self.jail.to_client(self.jail.to_fs(path))
        except OutsideJail:
            return "/"

    def list_folder(self, path: str):
        def listing(fs_path: str) -> list[SFTPAttributes]:
            entries = []
            with os.scandir(fs_path) as scan:
                for entry in scan:
                    attributes = SFTPAttributes.from_stat(entry.stat(follow_symlinks=False))
                    attributes.filename = entry.name
                    entries.append(attributes)
            present = {entry.filename for entry in entries}
            for name in self.session.handed_over.names_in(fs_path):
                handed_over = self.session.handed_over.stat_of(os.path.join(fs_path, name))
                if name not in present and handed_over is not None:
                    attributes = SFTPAttributes.from_stat(handed_over)
                    attributes.filename = name
                    entries.append(attributes)
            return entries

        return self._run("list", path, listing)

    def stat(self, path: str):
        return self._run("stat", path, self._stat)

    def lstat(self, path: str):
        return self._run("lstat", path, self._stat)

    def _stat(self, fs_path: str):
        try:
            return SFTPAttributes.from_stat(os.lstat(fs_path))
        except FileNotFoundError:
            # Already handed over: answer as if it were still here (clients check the size).
            handed_over = self.session.handed_over.stat_of(fs_path)
            if handed_over is None:
                return SFTP_NO_SUCH_FILE
            return SFTPAttributes.from_stat(handed_over)

    # --- uploads

    def open(self, path: str, flags: int, attr):
        def opening(fs_path: str):
            if not flags & (os.O_WRONLY | os.O_RDWR):
                return StatusWithMessage(SFTP_PERMISSION_DENIED, MSG_NO_DOWNLOADS)
            allowance = self.session.guard.allowance(
                self.session.camera, self.session.session_bytes
            )
            if flags & os.O_EXCL and os.path.lexists(fs_path):
                return SFTPServer.convert_errno(17)  # EEXIST
            if not self.session.take_open_file():
                logger.info(
                    "%s sftp open refused: %d files open already",
                    self.session.log_identity,
                    self.session.max_open_files,
                )
                return StatusWithMessage(
                    SFTP_FAILURE, MSG_TOO_MANY_OPEN % self.session.max_open_files
                )
            try:
                file = self.jail.open_for_upload(
                    fs_path,
                    append=bool(flags & os.O_APPEND),
                    resume=not flags & os.O_TRUNC,
                )
            except BaseException:
                self.session.release_open_file()
                raise
            self.session.handed_over.forget(fs_path)
            self.session.handover.upload_reopened(fs_path)
            return UploadHandle(self.session, fs_path, CappedUploadFile(file, allowance), utcnow())

        return self._run("open", path, opening)

    def remove(self, path: str) -> int:
        def removing(fs_path: str) -> int:
            if not os.path.lexists(fs_path):
                if self.session.handed_over.stat_of(fs_path) is not None:
                    return StatusWithMessage(SFTP_PERMISSION_DENIED, MSG_HANDED_OVER + ".")
                return SFTP_NO_SUCH_FILE
            if os.path.islink(fs_path) or not os.path.isfile(fs_path):
                return SFTP_PERMISSION_DENIED
            os.unlink(fs_path)
            return SFTP_OK

        return self._run("remove", path, removing)

    def rename(self, oldpath: str, newpath: str) -> int:
        def renaming(old_fs: str) -> int:
            new_fs = self.jail.check(self.jail.to_fs(newpath))
            if os.path.islink(old_fs):
                return SFTP_PERMISSION_DENIED
            if os.path.exists(new_fs):
                # SFTP v3 rename must not overwrite; posix-rename does.
                return SFTP_FAILURE
            self.jail.check_folder_move(old_fs, new_fs)
            os.rename(old_fs, new_fs)
            return self._renamed(old_fs, new_fs)

        return self._run("rename", oldpath, renaming)

    def posix_rename(self, oldpath: str, newpath: str) -> int:
        def renaming(old_fs: str) -> int:
            new_fs = self.jail.check(self.jail.to_fs(newpath))
            if os.path.islink(old_fs):
                return SFTP_PERMISSION_DENIED
            self.jail.check_folder_move(old_fs, new_fs)
            os.replace(old_fs, new_fs)
            return self._renamed(old_fs, new_fs)

        return self._run("posix-rename", oldpath, renaming)

    def _renamed(self, old_fs: str, new_fs: str) -> int:
        """A temporary name renamed to a final one: the upload is handed over before the OK."""
        session = self.session
        try:
            meta = session.handover.upload_renamed(
                session.camera, old_fs, new_fs, protocol="sftp", remote_ip=session.remote_ip
            )
        except OSError:
            logger.exception("%s handover after a rename failed", session.log_identity)
            return StatusWithMessage(SFTP_FAILURE, MSG_NOT_STORED)
        if meta is not None:
            session.session_bytes += meta.size_bytes
            session.handed_over.remember(new_fs, meta.size_bytes)
        return SFTP_OK

    def mkdir(self, path: str, attr) -> int:
        def making(fs_path: str) -> int:
            self.jail.make_dirs(fs_path, parents=False)
            return SFTP_OK

        return self._run("mkdir", path, making)

    def rmdir(self, path: str) -> int:
        def removing(fs_path: str) -> int:
            if os.path.realpath(fs_path) == self.jail.root:
                return SFTP_PERMISSION_DENIED
            os.rmdir(fs_path)
            return SFTP_OK

        return self._run("rmdir", path, removing)

    def chattr(self, path: str, attr) -> int:
        def setting(fs_path: str) -> int:
            # Times only (rclone and `put -p` keep the file's time); modes and owners mean
            # nothing for a clip and are ignored.
            mtime = getattr(attr, "st_mtime", None)
            if mtime is None or self.session.handed_over.set_mtime(fs_path, mtime):
                return SFTP_OK
            if os.path.islink(fs_path) or not os.path.isfile(fs_path):
                return SFTP_NO_SUCH_FILE
            atime = getattr(attr, "st_atime", None)
            os.utime(fs_path, (mtime if atime is None else atime, mtime), follow_symlinks=False)
            return SFTP_OK

        return self._run("setstat", path, setting)

    def symlink(self, target_path: str, path: str) -> int:
        return StatusWithMessage(SFTP_PERMISSION_DENIED, "Symbolic links are not allowed.")

    def readlink(self, path: str):
        return SFTP_OP_UNSUPPORTED
