"""The FTP/FTPS protocol for cameras: pyftpdlib's TLS handler, upload-only and jailed.

Built on `pyftpdlib_adapter`'s handlers, which hold every use of pyftpdlib's internals; here
only its public hooks, its command methods and the adapter's hooks are overridden.

Explicit TLS (AUTH TLS, PBSZ, PROT P) and plain FTP share one port; `[ftp] require_tls`
refuses plain logins. Hooks stay thin: a finished upload is handed over, an unfinished one
removed. The password check runs in the login pool and answers through the `LoopBridge`.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Future
from datetime import UTC, datetime
from functools import partial

from pyftpdlib.filesystems import FilesystemError

from core.catalog import DATABASE_ERRORS, utcnow
from core.catalog.login_crypto import LoginCrypto
from core.spool import shorten_address
from ingestd.connection_limits import FTP, ConnectionLimiter, Refusal, Ticket
from ingestd.credentials import (
    MSG_BANNED,
    MSG_SERVER_ERROR,
    MSG_WRONG,
    CameraAccount,
    CameraCredentials,
    LoginRefused,
)
from ingestd.filesystems import FolderLimits, JailedFS
from ingestd.ftp.pyftpdlib_adapter import LoopBridge, UploadDTPHandler, UploadFTPHandler
from ingestd.handover import MSG_NO_RESUME, HandedOverFiles, LoginWithdrawn, UploadHandover
from ingestd.limits import (
    DISK,
    CappedUploadFile,
    StorageGuard,
    UploadLimitExceeded,
)

logger = logging.getLogger(__name__)

MSG_TLS_REQUIRED = "TLS required: send AUTH TLS first (set the camera to FTPS)."
MSG_NOT_STORED = "Upload could not be stored; please send it again."


def parse_mfmt_time(timeval: str) -> float | None:
    """``YYYYMMDDHHMMSS[.fff]`` (UTC, as MFMT and MDTM give it) as epoch seconds; None if not."""
    whole, _, fraction = timeval.partition(".")
    try:
        moment = datetime.strptime(whole, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        return moment.timestamp() + (float(f"0.{fraction}") if fraction else 0.0)
    except ValueError:
        return None


def limit_reply(error: UploadLimitExceeded) -> str:
    """452 when the server's disk is short, 552 when the account's allowance is used up."""
    return f"{452 if error.kind == DISK else 552} {error.message}"


class CameraDTPHandler(UploadDTPHandler):
    """A camera's data connection: an upload that runs into a limit says which."""

    # pyftpdlib reads 64 KiB per loop turn; bigger reads mean fewer turns per clip.
    ac_in_buffer_size = 1024 * 1024
    not_stored_reply = f"451 {MSG_NOT_STORED}"

    def reply_for_write_error(self, error: BaseException) -> str | None:
        return limit_reply(error) if isinstance(error, UploadLimitExceeded) else None


class CameraFTPHandler(UploadFTPHandler):
    """One camera's FTP or FTPS session. Configured per server by `service.FtpService`."""

    abstracted_fs = JailedFS
    dtp_handler = CameraDTPHandler
    use_sendfile = False
    # Set per server by `service.FtpService`; a class attribute is how pyftpdlib
    # configures its handlers.
    credentials: CameraCredentials
    handover: UploadHandover
    guard: StorageGuard
    folder_limits: FolderLimits
    bridge: LoopBridge
    # Set when other processes (workers, nodes) count into the same per-address limit
    # (`connection_limits`). Alone, pyftpdlib's own ``max_cons_per_ip`` does that job.
    connection_limiter: ConnectionLimiter | None = None

    def __init__(self, conn, server, ioloop=None) -> None:
        self.account: CameraAccount | None = None
        self.protocol = "ftp"
        self.session_bytes = 0
        self.handed_over = HandedOverFiles()
        self._upload_started_at = ""
        self._connection_ticket: Ticket | None = None
        self._session_open = False
        super().__init__(conn, server, ioloop)

    @property
    def log_identity(self) -> str:
        camera = self.account.camera_id if self.account else "-"
        return f"{shorten_address(str(self.remote_ip))} camera={camera}"

    @property
    def camera(self) -> CameraAccount:
        """The logged-in camera: pyftpdlib runs upload commands only after a login."""
        if self.account is None:
            raise RuntimeError("no camera is logged in on this session")
        return self.account

    # --- connection and login

    def refuse_connection(self) -> Refusal | None:
        """A shared slot for this connection, given back once when it closes."""
        limiter = self.connection_limiter
        if limiter is None:
            return None
        outcome = limiter.admit(FTP, str(self.remote_ip))
        if isinstance(outcome, Refusal):
            logger.info("ftp refused: %s %s", outcome.value, shorten_address(str(self.remote_ip)))
            return outcome
        self._connection_ticket = outcome
        return None

    def connection_closed(self) -> None:
        ticket, self._connection_ticket = self._connection_ticket, None
        if ticket is not None and self.connection_limiter is not None:
            self.connection_limiter.release(ticket)
        if self._session_open and self.account is not None:
            self._session_open = False
            self.handover.session_ended(self.account, self.handed_over.folders())

    def on_connect(self) -> None:
        """Refuse a banned address before it may try another password."""
        try:
            closed = self.credentials.address_is_closed(self.remote_ip)
        except DATABASE_ERRORS as error:
            logger.info(
                "ftp refused: the login ban cannot be checked (%s) %s",
                type(error).__name__,
                shorten_address(str(self.remote_ip)),
            )
            self.refuse_unavailable()
            return
        if closed:
            self.respond(f"421 {MSG_BANNED}")
            self.close_when_done()

    def refuse_command(self, cmd: str) -> str | None:
        if cmd in ("USER", "PASS") and self.tls_control_required and not self.tls_established:
            return f"530 {MSG_TLS_REQUIRED}"
        return None

    def ftp_USER(self, line: str) -> None:
        if self.authenticated:
            # A session stays one camera: its uploads must never be credited to another.
            self.respond("503 Already logged in; reconnect to log in as another camera.")
            return
        super().ftp_USER(line)

    def ftp_REIN(self, line: str) -> None:
        self.ftp_USER(line)

    def ftp_PASS(self, line: str) -> None:
        """Check the password in the login pool; the loop serves others meanwhile."""
        if self.authenticated:
            self.respond("503 User already authenticated.")
            return
        if not self.username:
            self.respond("503 Login with USER first.")
            return
        future = self.credentials.submit_password_login(self.username, line, self.remote_ip)
        # No further commands from this client until its login is answered.
        self.pause_commands()
        self.bridge.when_done(future, partial(self._login_checked, self.username))

    def _login_checked(self, username: str, future: Future[CameraAccount]) -> None:
        if self.is_closed:
            return
        self.resume_commands()
        try:
            account = future.result()
        except LoginRefused as refusal:
            self._refuse_login(str(refusal))
            return
        except Exception:
            logger.exception("login check failed")
            self._refuse_login(MSG_SERVER_ERROR)
            return
        self.account = account
        self.protocol = "ftps" if self.tls_established else "ftp"
        tls = self.tls_version_and_cipher
        self.credentials.record_login_crypto(
            account.camera_id,
            LoginCrypto(self.protocol, *tls) if tls else LoginCrypto(self.protocol),
        )
        self.accept_login(str(account.jail), "Logged in; upload only.")
        logger.debug("%s logged in over %s", self.log_identity, self.protocol)

    def _refuse_login(self, message: str) -> None:
        # A pause before answering a wrong password slows guessing down.
        guessing = message in (MSG_WRONG, MSG_BANNED)
        self.refuse_login(
            message,
            delay_s=self.auth_failed_timeout if guessing else 0,
            disconnect=message == MSG_BANNED,
        )

    def on_login(self, username: str) -> None:
        self.fs.handed_over = self.handed_over
        self.handover.session_started(self.camera)
        self._session_open = True

    # --- uploads

    def ftp_STOR(self, file: str, mode: str = "w") -> str | None:
        """STOR, APPE, or REST + STOR: a resume only continues a file still in the jail."""
        refusal = self._refuse_resume(file, append="a" in mode)
        if refusal is not None:
            self.cancel_restart()
            self.respond(refusal)
            return None
        try:
            allowance = self.guard.allowance(self.camera, self.session_bytes)
        except UploadLimitExceeded as error:
            self.respond(limit_reply(error))
            return None
        self._upload_started_at = utcnow()
        self.handed_over.forget(file)
        self.handover.upload_reopened(file)
        self.fs.upload_wrapper = partial(CappedUploadFile, allowance=allowance)
        return super().ftp_STOR(file, mode)

    def _refuse_resume(self, file: str, *, append: bool) -> str | None:
        """Why this resume cannot be done (a reply), before any file is opened; None: go on.

        Only a file still in the jail (one waiting for its rename) can be continued. A handed-
        over upload is gone: appending its tail would store a file that is not a clip.
        """
        position = self.restart_position
        if not position and not append:
            return None
        try:
            size: int | None = self.fs.getsize(file) if self.fs.isfile(file) else None
        except OSError:
            size = None
        if append:
            if size is None and self.handed_over.size_of(file) is not None:
                return f"550 {MSG_NO_RESUME}"
            return None  # an APPE of a new file is an upload like STOR
        if size is None or position > size:
            return f"554 {MSG_NO_RESUME}"
        return None

    def ftp_STOU(self, line: str) -> None:
        self.respond("502 STOU is not supported; use STOR.")

    def ftp_SIZE(self, path: str) -> None:
        size = self.handed_over.size_of(path)
        if size is not None and not self.fs.lexists(path):
            self.respond(f"213 {size}")
            return
        super().ftp_SIZE(path)

    def ftp_MFMT(self, path: str, timeval: str) -> tuple[str, str] | None:
        """Set the time of the camera's own upload: in the jail (waiting for its rename) the
        file's, once handed over the time this session reports for it (MDTM, MLST)."""
        mtime = parse_mfmt_time(timeval)
        if mtime is None:
            self.respond("501 Invalid time format; expected YYYYMMDDHHMMSS (UTC).")
            return None
        if not self.handed_over.set_mtime(path, mtime):
            try:
                self.fs.utime(path, mtime)
            except (OSError, FilesystemError) as error:
                self.respond(f"550 {self.error_text(error)}.")
                return None
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(mtime))
        self.respond(f"213 Modify={stamp}; {self.fs.fs2ftp(path)}.")
        return stamp, path

    def ftp_MDTM(self, path: str) -> str | None:
        handed_over = self.handed_over.get(path)
        if handed_over is not None and not self.fs.lexists(path):
            self.respond(f"213 {time.strftime('%Y%m%d%H%M%S', time.gmtime(handed_over.mtime))}")
            return path
        return super().ftp_MDTM(path)

    def ftp_MLSD(self, path: str) -> str | None:
        # pyftpdlib answers 501 for a missing folder too; clients (rclone) read only 550 as
        # "not there yet", create the folder and go on, and give up on a 501.
        if not self.fs.lexists(path):
            self.respond("550 No such directory.")
            return None
        return super().ftp_MLSD(path)

    def on_file_received(self, file: str) -> bool:
        """A STOR/APPE finished: hand the file over to the pipeline; False if that failed."""
        try:
            meta = self.handover.upload_finished(
                self.camera,
                file,
                protocol=self.protocol,
                remote_ip=str(self.remote_ip),
                started_at=self._upload_started_at or utcnow(),
            )
        except LoginWithdrawn:
            # The camera was deleted: no further command of this session may upload.
            self.authenticated = False
            return False
        except OSError:
            logger.exception("%s handover to the spool failed", self.log_identity)
            return False
        if meta is not None:
            self.session_bytes += meta.size_bytes
            self.handed_over.remember(file, meta.size_bytes)
        return True

    def ftp_RNTO(self, path: str) -> tuple[str, str] | None:
        """pyftpdlib's RNTO, but a temporary name renamed to a final one is handed over first:
        after the 250 the clip is in the spool, as after a 226."""
        source = self.take_rename_source()
        if source is None:
            self.respond("503 Bad sequence of commands: use RNFR first.")
            return None
        try:
            self.fs.rename(source, path)
        except (OSError, FilesystemError) as error:
            self.respond(f"550 {self.error_text(error)}.")
            return None
        try:
            meta = self.handover.upload_renamed(
                self.camera, source, path, protocol=self.protocol, remote_ip=str(self.remote_ip)
            )
        except OSError:
            logger.exception("%s handover after a rename failed", self.log_identity)
            self.respond(f"451 {MSG_NOT_STORED}")
            return None
        if meta is not None:
            self.session_bytes += meta.size_bytes
            self.handed_over.remember(path, meta.size_bytes)
        self.respond("250 Renaming ok.")
        return source, path

    def on_incomplete_file_received(self, file: str) -> None:
        """An upload was aborted or cut off: remove what arrived."""
        self.handover.discard(self.account, file, protocol=self.protocol)
