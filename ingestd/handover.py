"""The one place a finished upload leaves the jail: into the spool, or removed if it is not whole.

Both protocols call `UploadHandover.upload_finished` when an upload completes, `upload_renamed`
after a rename and `discard` when an upload is not whole. A file under a temporary name waits
for its rename (`renames`). It stays cheap enough for pyftpdlib's I/O loop: an lstat, three
renames, a small write.
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from core.catalog import utcnow
from core.spool import (
    CLIP_NAME,
    UploadMeta,
    new_upload_id,
    shorten_address,
    spool_completed_upload,
)
from core.upload_folders import remove_empty_folders
from ingestd.credentials import CameraAccount
from ingestd.filesystems import FILE_MODE, Jail
from ingestd.renames import AwaitingRename, RenameWaits, TemporaryNames

logger = logging.getLogger(__name__)

# A resume (FTP REST/APPE, SFTP write past the end) of a file that is not in the jail.
MSG_NO_RESUME = (
    "Resume not possible: the earlier upload was already received (or never arrived); "
    "send the whole file again."
)

MSG_LOGIN_GONE = "This camera was removed from AlarmVault; the upload was not stored."


class LoginWithdrawn(Exception):
    """The session's camera was deleted after it logged in; the message is safe to send."""


class UploadHandover:
    """Moves completed uploads from a camera's jail into the spool; removes incomplete ones.

    ``login_is_current`` asks the catalog whether the session's camera still exists as it did at
    login: a session that outlives the deletion of its camera must not spool another clip.
    """

    def __init__(
        self,
        spool_dir: Path,
        login_is_current: Callable[[CameraAccount], bool],
        temporary_names: Iterable[str] = (),
        rename_timeout_s: float = 120.0,
        max_awaiting_rename: int = 16,
    ) -> None:
        self.spool_dir = spool_dir
        self.login_is_current = login_is_current
        self.renames = RenameWaits(
            TemporaryNames(temporary_names),
            rename_timeout_s,
            self._hand_over_unrenamed,
            max_awaiting_rename,
        )
        self._sessions_lock = threading.Lock()
        self._open_sessions: Counter[int] = Counter()

    def start(self) -> None:
        self.renames.start()

    def stop(self) -> None:
        self.renames.stop()

    def session_started(self, account: CameraAccount) -> None:
        """A session of ``account`` logged in (see `session_ended`)."""
        with self._sessions_lock:
            self._open_sessions[account.camera_id] += 1

    def session_ended(self, account: CameraAccount, folders: Iterable[str]) -> int:
        """A session ended: remove the folders its handovers left empty, and their empty
        parents (never the jail); returns how many.

        Only once the session has ended, and only when no other session of the camera is open
        in this process: a client that uploads several files into one folder (``put -r``,
        ``mirror -R``, a camera that changes into its day folder once) still needs it.
        """
        with self._sessions_lock:
            self._open_sessions[account.camera_id] -= 1
            if self._open_sessions[account.camera_id] > 0:
                return 0
            del self._open_sessions[account.camera_id]
        removed = sum(remove_empty_folders(str(account.jail), folder) for folder in folders)
        if removed:
            logger.debug("camera=%d: %d empty folders removed", account.camera_id, removed)
        return removed

    def upload_finished(
        self,
        account: CameraAccount,
        fs_path: str,
        *,
        protocol: str,
        remote_ip: str,
        started_at: str,
    ) -> UploadMeta | None:
        """An upload completed: hand it over, unless its name says a rename is coming."""
        if self.renames.temporary_names.match(os.path.basename(fs_path)):
            self.renames.wait_for_rename(
                account, fs_path, protocol=protocol, remote_ip=remote_ip, started_at=started_at
            )
            logger.debug(
                "upload complete under a temporary name, waiting for its rename: camera=%d",
                account.camera_id,
            )
            return None
        return self.hand_over(
            account, fs_path, protocol=protocol, remote_ip=remote_ip, started_at=started_at
        )

    def upload_reopened(self, fs_path: str) -> None:
        """The client writes ``fs_path`` again (a new upload, an append): no handover yet."""
        self.renames.take(fs_path)

    def upload_renamed(
        self,
        account: CameraAccount,
        old_fs_path: str,
        new_fs_path: str,
        *,
        protocol: str,
        remote_ip: str,
    ) -> UploadMeta | None:
        """A file was renamed in the jail: a temporary one renamed to a final name goes now."""
        awaiting = self.renames.take(old_fs_path)
        temporary = self.renames.temporary_names
        if temporary.match(os.path.basename(new_fs_path)):
            if awaiting is not None:  # .part -> .tmp: still not final, keep waiting
                self.renames.wait_for_rename(
                    account,
                    new_fs_path,
                    protocol=awaiting.protocol,
                    remote_ip=awaiting.remote_ip,
                    started_at=awaiting.started_at,
                )
            return None
        if awaiting is None and not temporary.match(os.path.basename(old_fs_path)):
            return None  # an ordinary rename of a file that was never an upload waiting here
        return self.hand_over(
            account,
            new_fs_path,
            protocol=protocol,
            remote_ip=remote_ip,
            started_at=awaiting.started_at if awaiting else utcnow(),
        )

    def _hand_over_unrenamed(self, fs_path: str, awaiting: AwaitingRename) -> None:
        meta = self.hand_over(
            awaiting.account,
            fs_path,
            protocol=awaiting.protocol,
            remote_ip=awaiting.remote_ip,
            started_at=awaiting.started_at,
        )
        if meta is not None:
            logger.info(
                "upload under a temporary name was not renamed; handed over under its own name:"
                " camera=%d upload=%s",
                meta.camera_id,
                meta.upload_id,
            )

    def hand_over(
        self,
        account: CameraAccount,
        fs_path: str,
        *,
        protocol: str,
        remote_ip: str,
        started_at: str,
    ) -> UploadMeta | None:
        """Spool the file at ``fs_path``; None if there was nothing to hand over.

        Raises `LoginWithdrawn` (the file removed) if the session's camera no longer exists.
        """
        jail = Jail(account.jail)
        try:
            info = os.lstat(fs_path)
        except FileNotFoundError:
            # Renamed or deleted by the camera in the meantime: nothing is lost.
            return None
        if not jail.contains(fs_path) or not stat.S_ISREG(info.st_mode):
            logger.warning(
                "upload refused: camera=%d %s upload is not a file in its jail",
                account.camera_id,
                protocol,
            )
            return None
        if not self.login_is_current(account):
            os.unlink(fs_path)
            logger.warning(
                "upload refused: camera=%d %s camera deleted during the session; removed",
                account.camera_id,
                protocol,
            )
            raise LoginWithdrawn(MSG_LOGIN_GONE)
        meta = UploadMeta(
            upload_id=new_upload_id(),
            camera_id=account.camera_id,
            username=account.username,
            protocol=protocol,
            remote_addr=shorten_address(remote_ip),
            original_name=os.path.basename(fs_path),
            original_path=jail.relative(fs_path),
            size_bytes=info.st_size,
            started_at=started_at,
            completed_at=utcnow(),
        )
        try:
            spool_completed_upload(self.spool_dir, Path(fs_path), meta)
        except OSError:
            self._put_back(fs_path, meta)
            raise
        logger.info(
            "upload spooled: camera=%d protocol=%s upload=%s bytes=%d from=%s",
            meta.camera_id,
            protocol,
            meta.upload_id,
            meta.size_bytes,
            meta.remote_addr,
        )
        return meta

    def discard(self, account: CameraAccount | None, fs_path: str, *, protocol: str) -> None:
        """Remove an incomplete upload; it must never reach the pipeline."""
        camera_id = account.camera_id if account else 0
        try:
            size = os.lstat(fs_path).st_size
            os.unlink(fs_path)
        except FileNotFoundError:
            return
        except OSError as error:
            logger.error(
                "incomplete upload could not be removed: camera=%d protocol=%s (%s)",
                camera_id,
                protocol,
                error.strerror,
            )
            return
        logger.warning(
            "upload incomplete, removed: camera=%d protocol=%s bytes=%d",
            camera_id,
            protocol,
            size,
        )

    def _put_back(self, fs_path: str, meta: UploadMeta) -> None:
        # The spool failed half way (disk full?): return the clip to the jail so nothing is lost
        # and the camera's retry or an admin can still get it.
        staged = self.spool_dir / "staging" / meta.upload_id
        try:
            if (staged / CLIP_NAME).exists():
                os.replace(staged / CLIP_NAME, fs_path)
            for leftover in staged.iterdir() if staged.exists() else ():
                leftover.unlink()
            if staged.exists():
                staged.rmdir()
        except OSError:
            logger.exception("could not undo a failed spool of upload %s", meta.upload_id)
        logger.error("upload not spooled, left in the jail: camera=%d", meta.camera_id)


class HandedOverFiles:
    """Size and time of the files this session handed over, so SIZE/stat right after an upload
    answer, and a client may set the time of its own upload (MFMT, SETSTAT).

    Clients check an upload by asking its size (paramiko's ``put`` does) and set its time
    (rclone), but the file has already left the jail; without this they would report a failed
    upload and send it again.
    """

    def __init__(self, limit: int = 64) -> None:
        self.limit = limit
        self._files: OrderedDict[str, HandedOverFile] = OrderedDict()

    def remember(self, fs_path: str, size: int, mtime: float | None = None) -> None:
        self._files[fs_path] = HandedOverFile(size, time.time() if mtime is None else mtime)
        self._files.move_to_end(fs_path)
        while len(self._files) > self.limit:
            self._files.popitem(last=False)

    def forget(self, fs_path: str) -> None:
        self._files.pop(fs_path, None)

    def get(self, fs_path: str) -> HandedOverFile | None:
        return self._files.get(fs_path)

    def size_of(self, fs_path: str) -> int | None:
        file = self._files.get(fs_path)
        return file.size if file else None

    def stat_of(self, fs_path: str) -> os.stat_result | None:
        """What a stat of the handed-over ``fs_path`` shows this session (None: not one)."""
        file = self._files.get(fs_path)
        if file is None:
            return None
        mode, mtime = stat.S_IFREG | FILE_MODE, int(file.mtime)
        return os.stat_result(
            (mode, 0, 0, 1, os.getuid(), os.getgid(), file.size, mtime, mtime, mtime)
        )

    def folders(self) -> set[str]:
        """The folders the remembered files were handed over from."""
        return {os.path.dirname(path) for path in self._files}

    def names_in(self, fs_folder: str) -> list[str]:
        """Names of the handed-over files of folder ``fs_folder``, for listings."""
        folder = os.path.normpath(fs_folder)
        return [os.path.basename(path) for path in self._files if os.path.dirname(path) == folder]

    def set_mtime(self, fs_path: str, mtime: float) -> bool:
        """Record the time a client gave its handed-over upload; False if it is not one."""
        file = self._files.get(fs_path)
        if file is None:
            return False
        self._files[fs_path] = HandedOverFile(file.size, mtime)
        return True


@dataclass(frozen=True)
class HandedOverFile:
    size: int
    mtime: float
