"""One file a camera is uploading over SFTP; its ``close()`` is where the upload completes."""

from __future__ import annotations

import logging
import os

from paramiko import SFTPAttributes, SFTPHandle, SFTPServer
from paramiko.sftp import SFTP_FAILURE, SFTP_OK, SFTP_PERMISSION_DENIED

from ingestd.handover import MSG_NO_RESUME, LoginWithdrawn
from ingestd.limits import CappedUploadFile, UploadLimitExceeded
from ingestd.sftp.protocol import StatusWithMessage
from ingestd.sftp.server import CameraSSHServer

logger = logging.getLogger(__name__)

MSG_NOT_STORED = "Upload could not be stored; please send it again."
MSG_NO_DOWNLOADS = "Downloads are not allowed; this account may only upload."


class UploadHandle(SFTPHandle):
    """A file open for writing inside the jail. Operations return status codes, never raise."""

    def __init__(
        self, session: CameraSSHServer, fs_path: str, file: CappedUploadFile, started_at: str
    ) -> None:
        super().__init__()
        self.session = session
        self.fs_path = fs_path
        self.file = file
        self.started_at = started_at
        self.failed: int | None = None
        self._position = file.tell()
        # Writes continue the file, never leave a hole: a resume of an upload that was already
        # handed over (OpenSSH's reput) would otherwise store a tail behind a gap.
        self._end = os.fstat(file.fileno()).st_size
        self._finished = False

    def write(self, offset: int, data: bytes) -> int:
        self.session.touch()
        self._trace("write offset=%d bytes=%d", offset, len(data))
        if self.failed is not None:
            return self.failed
        if offset > self._end:
            self.failed = StatusWithMessage(SFTP_FAILURE, MSG_NO_RESUME)
            return self.failed
        try:
            if offset != self._position:
                self.file.seek(offset)
            self.file.write(data)
        except UploadLimitExceeded as error:
            self.failed = StatusWithMessage(SFTP_FAILURE, error.message)
            return self.failed
        except OSError as error:
            self.failed = SFTPServer.convert_errno(error.errno)
            return self.failed
        self._position = offset + len(data)
        self._end = max(self._end, self._position)
        return SFTP_OK

    def read(self, offset: int, length: int) -> int:
        self._trace("read offset=%d bytes=%d refused", offset, length)
        return StatusWithMessage(SFTP_PERMISSION_DENIED, MSG_NO_DOWNLOADS)

    def stat(self):
        self._trace("fstat")
        try:
            return SFTPAttributes.from_stat(os.fstat(self.file.fileno()))
        except (OSError, ValueError):
            return SFTP_FAILURE

    def chattr(self, attr) -> int:
        # Clients set times and modes after a put; they mean nothing for a clip, so accept.
        self._trace("fsetstat (ignored)")
        return SFTP_OK

    def _trace(self, message: str, *args) -> None:
        """One debug line per request on this handle, so a real camera's upload can be traced."""
        # Checked before building the line: a write arrives every 255 KiB.
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s sftp %r %s",
                self.session.log_identity,
                os.path.basename(self.fs_path),
                message % args,
            )

    def close(self) -> int:
        """CLOSE without an earlier error completes the upload; anything else discards it.

        paramiko also calls this for handles still open when the connection ends: the session
        has ``ended`` then, and a cut-off upload must not reach the pipeline.
        """
        if self._finished:
            return SFTP_OK
        self._finished = True
        session = self.session
        session.release_open_file()
        try:
            self.file.close()
        except OSError as error:
            self.failed = self.failed or SFTPServer.convert_errno(error.errno)
        account = session.account
        complete = self.failed is None and not session.ended.is_set() and account is not None
        logger.debug(
            "%s sftp close %r after %d bytes: %s",
            session.log_identity,
            os.path.basename(self.fs_path),
            self._position,
            "complete" if complete else "cut off",
        )
        if not complete or account is None:
            session.handover.discard(account, self.fs_path, protocol="sftp")
            return self.failed if self.failed is not None else SFTP_FAILURE
        try:
            meta = session.handover.upload_finished(
                account,
                self.fs_path,
                protocol="sftp",
                remote_ip=session.remote_ip,
                started_at=self.started_at,
            )
        except LoginWithdrawn as withdrawn:
            # The camera was deleted: every later file operation of the session is refused.
            session.refusal = str(withdrawn)
            return StatusWithMessage(SFTP_PERMISSION_DENIED, session.refusal)
        except OSError:
            logger.exception("%s handover to the spool failed", session.log_identity)
            return StatusWithMessage(SFTP_FAILURE, MSG_NOT_STORED)
        if meta is not None:
            session.session_bytes += meta.size_bytes
            session.handed_over.remember(self.fs_path, meta.size_bytes)
        return SFTP_OK
