"""The FTP/FTPS protocol for cameras: pyftpdlib's TLS handler, upload-only and jailed.

Explicit TLS (AUTH TLS, PBSZ, PROT P) and plain FTP share one port; `[ftp] require_tls`
refuses plain logins. Hooks stay thin: a finished upload is handed over, an unfinished one
removed. The password check runs in the login pool and answers through the `LoopBridge`.
"""

from __future__ import annotations

import errno
import logging
import sys
from functools import partial

from OpenSSL import SSL
from pyftpdlib.handlers import DTPHandler, TLS_DTPHandler, TLS_FTPHandler

from core.catalog import utcnow
from core.spool import shorten_address
from ingestd.authorizers import MSG_BANNED, MSG_SERVER_ERROR, MSG_WRONG, LoginRefused
from ingestd.connection_limits import SharedConnectionLimitMixin
from ingestd.filesystems import JailedFS
from ingestd.handover import HandedOverFiles, LoginWithdrawn
from ingestd.limits import DISK, CappedUploadFile, UploadAllowance, UploadLimitExceeded
from ingestd.log_privacy import scrub_addresses

logger = logging.getLogger(__name__)

MSG_TLS_REQUIRED = "TLS required: send AUTH TLS first (set the camera to FTPS)."
MSG_NOT_STORED = "Upload could not be stored; please send it again."


def limit_reply(error: UploadLimitExceeded) -> str:
    """452 when the server's disk is short, 552 when the account's allowance is used up."""
    return f"{452 if error.kind == DISK else 552} {error.message}"


def is_broken_link(error: BaseException | None) -> bool:
    """True for a reset or timed-out connection, as opposed to the sender closing it."""
    if isinstance(error, SSL.SysCallError):
        return bool(error.args) and error.args[0] in _BROKEN_LINK_ERRNOS
    return isinstance(error, OSError) and error.errno in _BROKEN_LINK_ERRNOS


_BROKEN_LINK_ERRNOS = frozenset({errno.ECONNRESET, errno.ECONNABORTED, errno.ETIMEDOUT})


class BrokenLinkAwareDTPHandler(DTPHandler):
    """Tells a reset data connection from one the sender closed.

    pyftpdlib counts both as a finished upload. Its TLS layer reports a reset by calling
    ``super().handle_close()`` from inside its ``except`` block, which skips any override in a
    subclass of `TLS_DTPHandler`; this class sits right after that layer in the MRO, so it sees
    the error on both the plain and the TLS path.
    """

    _broken_link = False

    def handle_close(self) -> None:
        if self.receive and is_broken_link(sys.exc_info()[1]):
            self._broken_link = True
        super().handle_close()


class CameraDTPHandler(TLS_DTPHandler, BrokenLinkAwareDTPHandler):
    """A data connection that hands an upload over *before* replying 226.

    So a camera's 226 means "in the spool": if the handover fails it gets 451 and sends again.
    A reset connection is a cut-off upload (426), never a finished one.
    """

    # pyftpdlib reads 64 KiB per loop turn; bigger reads mean fewer turns per clip.
    ac_in_buffer_size = 1024 * 1024

    def handle_error(self) -> None:
        error = sys.exc_info()[1]
        cause = getattr(error, "__cause__", None)
        if isinstance(cause, UploadLimitExceeded):
            self._resp = (limit_reply(cause), logger.info)
            self.close()
            return
        super().handle_error()

    def close(self) -> None:
        if not self._closed and self._broken_link:
            self.transfer_finished = False
            self._resp = ("426 Connection broken; transfer aborted.", logger.info)
        if not self._closed and self.receive and self.transfer_finished and self.file_obj:
            file_obj, self.file_obj = self.file_obj, None
            file_obj.close()
            if not self.cmd_channel.on_file_received(file_obj.name):
                self._resp = (f"451 {MSG_NOT_STORED}", logger.warning)
        super().close()


class CameraFTPHandler(SharedConnectionLimitMixin, TLS_FTPHandler):
    """One camera's FTP or FTPS session. Configured per server by `ingestd.servers`."""

    abstracted_fs = JailedFS
    dtp_handler = CameraDTPHandler
    use_sendfile = False
    # Set per server by `ingestd.servers.build_ftp_server`.
    credentials = None
    handover = None
    guard = None
    bridge = None

    def __init__(self, conn, server, ioloop=None) -> None:
        self.account = None
        self.protocol = "ftp"
        self.session_bytes = 0
        self.handed_over = HandedOverFiles()
        self._upload_started_at = ""
        self._allowance: UploadAllowance | None = None
        super().__init__(conn, server, ioloop)

    # --- privacy: the log sees a shortened address and the camera id, never the full IP

    @property
    def log_identity(self) -> str:
        camera = self.account.camera_id if self.account else "-"
        return f"{shorten_address(str(self.remote_ip))} camera={camera}"

    def log(self, msg: str, logfun=None) -> None:
        # pyftpdlib's session chatter goes to DEBUG: INFO keeps one line per upload.
        logger.debug("%s %s", self.log_identity, scrub_addresses(msg))

    def logline(self, msg: str, logfun=None) -> None:
        if self._log_debug:
            if msg.upper().startswith("<- USER "):
                # Half of a login: the camera id in the prefix says who it is once logged in.
                msg = "<- USER ******"
            logger.debug("%s %s", self.log_identity, scrub_addresses(msg))

    def logerror(self, msg: str) -> None:
        logger.error("%s %s", self.log_identity, scrub_addresses(msg))

    def log_transfer(self, cmd, filename, receive, completed, elapsed, bytes) -> None:
        logger.debug(
            "%s %s completed=%s bytes=%s seconds=%s",
            self.log_identity,
            cmd,
            int(bool(completed)),
            bytes,
            elapsed,
        )

    def get_repr_info(self, as_str=False, extra_info=None):
        info = super().get_repr_info(False, extra_info)
        info["addr"] = shorten_address(str(self.remote_ip))
        info.pop("user", None)
        if as_str:
            return ", ".join(f"{k}={v!r}" for k, v in info.items())
        return info

    # --- connection and login

    def on_connect(self) -> None:
        """Refuse a banned address before it may try another password."""
        if self.credentials.is_banned(self.remote_ip):
            self.respond(f"421 {MSG_BANNED}")
            self.close_when_done()

    def process_command(self, cmd, *args, **kwargs) -> None:
        if cmd in ("USER", "PASS") and self.tls_control_required and not self._ssl_established:
            self.respond(f"530 {MSG_TLS_REQUIRED}")
            return
        super().process_command(cmd, *args, **kwargs)

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
        self.del_channel()
        self.bridge.when_done(future, partial(self._login_checked, self.username))

    def _login_checked(self, username: str, future) -> None:
        if self._closed:
            return
        self.add_channel()
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
        self.protocol = "ftps" if self._ssl_established else "ftp"
        # pyftpdlib's handle_auth_success, without keeping the password or logging the user name.
        self.respond("230 Logged in; upload only.")
        self.authenticated = True
        self.attempted_logins = 0
        self.fs = self.abstracted_fs(str(account.jail), self)
        logger.debug("%s logged in over %s", self.log_identity, self.protocol)
        self.on_login(self.username)

    def _refuse_login(self, message: str) -> None:
        self.username = ""
        guessing = message in (MSG_WRONG, MSG_BANNED)

        def answer() -> None:
            if self._closed:
                return
            self.add_channel()
            self.attempted_logins += 1
            if message == MSG_BANNED or self.attempted_logins >= self.max_login_attempts:
                self.respond(f"530 {message}")
                self.close_when_done()
            else:
                self.respond(f"530 {message}")
            self.on_login_failed("", "")

        if guessing and self.auth_failed_timeout:
            # A pause before answering a wrong password slows guessing down.
            self.del_channel()
            self.call_later(self.auth_failed_timeout, answer)
        else:
            answer()

    # --- uploads

    def ftp_STOR(self, file: str, mode: str = "w"):
        try:
            self._allowance = self.guard.allowance(self.account, self.session_bytes)
        except UploadLimitExceeded as error:
            self.respond(limit_reply(error))
            return None
        self._upload_started_at = utcnow()
        self.handed_over.forget(file)
        self.fs.upload_wrapper = self._capped
        return super().ftp_STOR(file, mode)

    def _capped(self, file):
        return CappedUploadFile(file, self._allowance)

    def ftp_STOU(self, line: str) -> None:
        self.respond("502 STOU is not supported; use STOR.")

    def ftp_SIZE(self, path: str) -> None:
        size = self.handed_over.size_of(path)
        if size is not None and not self.fs.lexists(path):
            self.respond(f"213 {size}")
            return
        super().ftp_SIZE(path)

    def on_file_received(self, file: str) -> bool:
        """A STOR/APPE finished: hand the file over to the pipeline; False if that failed."""
        try:
            meta = self.handover.hand_over(
                self.account,
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

    def on_incomplete_file_received(self, file: str) -> None:
        """An upload was aborted or cut off: remove what arrived."""
        self.handover.discard(self.account, file, protocol=self.protocol)
