"""The only place that touches pyftpdlib's private or fragile internals, and why each is needed.

pyftpdlib is meant to be extended through its public hooks (``on_connect``, ``on_login``,
``on_file_received``, ``on_incomplete_file_received``, the ``ftp_*`` command methods, an
`AbstractedFS` subclass, class attributes for configuration). Where those fall short for
cameras, this module reaches further, and only this module:

Data connection (`UploadDTPHandler`)
  - ``DTPHandler._resp``: the reply pyftpdlib sends once the data connection is closed. We set
    it to send 426 for a reset connection, 451 when the handover failed, 452/552 when an upload
    ran into a limit, instead of pyftpdlib's generic 226 or "426 Internal error".
  - ``self.file_obj = None`` before ``close()``: pyftpdlib's ``close()`` replies 226 first and
    calls ``on_file_received`` afterwards. A camera's 226 must mean "in the spool", so we close
    the file and hand it over ourselves, then clear ``file_obj`` so that pyftpdlib's handover
    (and its ``log_transfer``) is skipped.
  - ``_closed`` (set by `AsyncChat`): ``close()`` may run more than once; only the first counts.
  - The ``handle_close`` MRO trick: pyftpdlib's TLS layer (``SSLConnectionMixin``) reports a
    reset, and a TCP close without TLS close_notify ("Unexpected EOF"), by calling
    ``super().handle_close()`` from inside its ``except`` block, which skips any override in a
    subclass of `TLS_DTPHandler`. `BrokenLinkAwareDTPHandler` sits right after that layer in the
    MRO, so it sees the error (``sys.exc_info()``) on the plain and TLS paths: pyftpdlib counts
    a reset upload as finished, we must not; one without close_notify is noted.
  - ``_FileReadWriteError``'s ``__cause__``: pyftpdlib wraps a failed ``file_obj.write`` and
    answers "426 <strerror>"; the cause tells us the upload ran into its size, quota or disk
    limit, which deserves its own reply.

Control connection (`UploadFTPHandler`)
  - ``log``, ``logline``, ``logerror``, ``log_transfer``, ``get_repr_info`` overridden, and
    ``_log_debug`` read: pyftpdlib's lines carry the full client address and the user name;
    ours carry the shortened address and the camera id (DESIGN.md §6), at DEBUG so that INFO
    keeps one line per upload.
  - ``process_command`` overridden: pyftpdlib refuses USER/PASS before AUTH TLS with a "550"
    naming no remedy; a camera needs "530 ... set the camera to FTPS".
  - ``pre_process_command`` overridden: a NUL byte in an argument made pyftpdlib's path check
    raise ValueError and drop the connection; it gets a 501 before any path is looked at.
  - ``_ssl_established``: whether the control connection is encrypted (FTP or FTPS session);
    ``socket`` is then pyOpenSSL's Connection, which says the TLS version and cipher.
  - ``handle()`` overridden: pyftpdlib's server calls it after its own per-process connection
    limits; the limit counted across worker processes is checked there too, before the 220.
  - ``close()`` overridden: gives the connection's shared-limit slot back, once.
  - ``handle_auth_success`` / ``handle_auth_failed`` replaced (`accept_login`, `refuse_login`):
    the password is checked in a thread pool (argon2 must not block the I/O loop), so the
    answer arrives later through `LoopBridge`; pyftpdlib's versions would also keep the
    password in memory, log the user name, and pause after every refusal, not only guesses.
  - ``del_channel`` / ``add_channel``: no further commands from a client while its login is
    being checked.
  - ``_rnfr`` (`take_rename_source`): RNTO is answered only after a renamed upload is handed
    over (pyftpdlib's ``ftp_RNTO`` replies 250 first), so the subclass runs RNTO itself.
  - ``_restart_position`` (`restart_position`, `cancel_restart`): the offset of a pending REST,
    so that a resume is checked before pyftpdlib opens (and creates) the file.
  - ``pyftpdlib.utils.strerror`` (`error_text`): the text pyftpdlib puts in its 550 replies.

I/O loop (`LoopBridge`)
  - ``ioloop.AsyncChat`` subclassed and ``handle_read_event`` aliased: the loop is not
    thread-safe; a socketpair registered as a dispatcher is how another thread wakes it.

setup.cfg pins pyftpdlib's minor version and tests/ingestd/test_pyftpdlib_pin.py fails loudly
when an upgrade changes any of the above.
"""

from __future__ import annotations

import collections
import contextlib
import errno
import logging
import socket
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from OpenSSL import SSL
from pyftpdlib.handlers import DTPHandler, TLS_DTPHandler, TLS_FTPHandler
from pyftpdlib.ioloop import AsyncChat, IOLoop
from pyftpdlib.utils import strerror

from core.spool import shorten_address
from ingestd.connection_limits import MSG_UNAVAILABLE, Refusal
from ingestd.log_privacy import scrub_addresses

logger = logging.getLogger(__name__)

PINNED_PYFTPDLIB = "2.2"

_BROKEN_LINK_ERRNOS = frozenset({errno.ECONNRESET, errno.ECONNABORTED, errno.ETIMEDOUT})
# pyOpenSSL's SysCallError(-1, "Unexpected EOF"): the peer closed TCP without a close_notify.
_TLS_EOF_WITHOUT_CLOSE_NOTIFY = -1


def is_broken_link(error: BaseException | None) -> bool:
    """True for a reset or timed-out connection, as opposed to the sender closing it."""
    if isinstance(error, SSL.SysCallError):
        return bool(error.args) and error.args[0] in _BROKEN_LINK_ERRNOS
    return isinstance(error, OSError) and error.errno in _BROKEN_LINK_ERRNOS


def is_eof_without_close_notify(error: BaseException | None) -> bool:
    """True for a TLS connection whose sender closed TCP without a TLS close_notify."""
    return isinstance(error, SSL.SysCallError) and error.args[:1] == (
        _TLS_EOF_WITHOUT_CLOSE_NOTIFY,
    )


# --- the I/O loop


class LoopBridge(AsyncChat):
    """Runs callables in the I/O loop's thread, when asked from any thread.

    A socketpair wakes the loop; the callbacks then run in the loop's own thread. This is how a
    password check (argon2, ~50 ms) runs off the loop, and how another thread asks the loop to
    stop.
    """

    def __init__(self, ioloop: IOLoop) -> None:
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)
        self._pending: collections.deque[tuple[Callable[..., Any], tuple[Any, ...]]] = (
            collections.deque()
        )
        self._lock = threading.Lock()
        super().__init__(self._wake_reader, ioloop=ioloop)

    def call_soon(self, function: Callable[..., Any], *args: Any) -> None:
        """Run ``function(*args)`` in the loop's thread as soon as it wakes."""
        with self._lock:
            self._pending.append((function, args))
        # Full buffer: the loop has wake-ups queued already. Closed: the loop is gone.
        with contextlib.suppress(BlockingIOError, OSError):
            self._wake_writer.send(b"\0")

    def when_done(self, future: Future[Any], callback: Callable[[Future[Any]], Any]) -> None:
        """Call ``callback(future)`` in the loop's thread once ``future`` finishes."""
        future.add_done_callback(lambda done: self.call_soon(callback, done))

    # --- dispatcher side

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def handle_read(self) -> None:
        try:
            while self._wake_reader.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        while True:
            with self._lock:
                if not self._pending:
                    return
                function, args = self._pending.popleft()
            try:
                function(*args)
            except Exception:
                logger.exception("callback in the FTP I/O loop failed")

    # The loop calls handle_read_event; asynchat's would try to read a command line.
    handle_read_event = handle_read

    def close(self) -> None:
        super().close()
        self._wake_writer.close()


# --- the data connection


class BrokenLinkAwareDTPHandler(DTPHandler):
    """Tells a reset data connection from one the sender closed (see the module docstring)."""

    _broken_link = False
    # Over TLS: the upload ended with a TCP close but no close_notify (see `UploadDTPHandler`).
    ended_without_close_notify = False

    def handle_close(self) -> None:
        error = sys.exc_info()[1]
        if self.receive and is_broken_link(error):
            self._broken_link = True
        elif self.receive and is_eof_without_close_notify(error):
            self.ended_without_close_notify = True
        super().handle_close()


class UploadDTPHandler(TLS_DTPHandler, BrokenLinkAwareDTPHandler):
    """A data connection that hands an upload over *before* replying 226.

    A reset connection is a cut-off upload (426), never a finished one. When the command
    channel's ``on_file_received`` returns False, the reply is `not_stored_reply` instead of 226.

    A TLS data connection closed without close_notify is an end the server cannot trust (a client
    that died, or one such as wput that never sends it): like every plain-FTP upload it is
    handed over, and the pipeline's whole-file check rejects it as ``truncated`` if it is cut
    (DESIGN.md §1c). Refusing it would lose whole clips of such clients.
    """

    not_stored_reply = "451 Upload could not be stored; please send it again."
    # Set by pyftpdlib (the file being received); declared for the type checker.
    file_obj: Any

    def reply_for_write_error(self, error: BaseException) -> str | None:
        """The reply for an upload whose file refused a write with ``error``; None: pyftpdlib's."""
        return None

    def handle_error(self) -> None:
        error = sys.exc_info()[1]
        cause = getattr(error, "__cause__", None)
        reply = self.reply_for_write_error(cause) if cause is not None else None
        if reply is None:
            super().handle_error()
            return
        self._resp = (reply, logger.info)
        self.close()

    def close(self) -> None:
        if not self._closed and self._broken_link:
            self.transfer_finished = False
            self._resp = ("426 Connection broken; transfer aborted.", logger.info)
        if not self._closed and self.receive and self.transfer_finished and self.file_obj:
            if self.ended_without_close_notify:
                logger.info(
                    "%s ftps upload ended without TLS close_notify: the whole-file check decides",
                    self.cmd_channel.log_identity,
                )
            file_obj, self.file_obj = self.file_obj, None
            file_obj.close()
            if not self.cmd_channel.on_file_received(file_obj.name):
                self._resp = (self.not_stored_reply, logger.warning)
        super().close()


# --- the control connection


class UploadFTPHandler(TLS_FTPHandler):
    """pyftpdlib's FTP/FTPS session with private logging, a threaded login and shared limits."""

    dtp_handler = UploadDTPHandler
    # Set by pyftpdlib (RNFR's path, REST's offset); declared for the type checker.
    _rnfr: str | None
    _restart_position: int

    # --- hooks for the subclass

    @property
    def log_identity(self) -> str:
        """Who this session is, as every log line of it starts (never the full address)."""
        return shorten_address(str(self.remote_ip))

    def refuse_connection(self) -> Refusal | None:
        """Called before the 220 greeting; a `Refusal` closes the connection with a 421."""
        return None

    def connection_closed(self) -> None:
        """Called after every ``close()`` (it may run more than once per connection)."""

    def refuse_command(self, cmd: str) -> str | None:
        """A reply that refuses ``cmd`` before pyftpdlib runs it; None lets it run."""
        return None

    def refuse_unavailable(self) -> None:
        """Turn the client away before the greeting: what it needs cannot be checked now."""
        self.respond(f"421 {MSG_UNAVAILABLE}")
        self.close_when_done()

    # --- state pyftpdlib keeps privately

    @property
    def is_closed(self) -> bool:
        return bool(self._closed)

    @property
    def tls_established(self) -> bool:
        return bool(self._ssl_established)

    @property
    def tls_version_and_cipher(self) -> tuple[str, str] | None:
        """The control connection's TLS version and cipher ("TLSv1.3", "TLS_AES_256_GCM_SHA384");
        None without TLS."""
        if not self._ssl_established or not isinstance(self.socket, SSL.Connection):
            return None
        return self.socket.get_protocol_version_name(), self.socket.get_cipher_name() or ""

    def take_rename_source(self) -> str | None:
        """The filesystem path of the last RNFR, once (None without one)."""
        source, self._rnfr = self._rnfr, None
        return source or None

    @property
    def restart_position(self) -> int:
        """The offset of a pending REST; 0 without one."""
        return int(self._restart_position or 0)

    def cancel_restart(self) -> None:
        """Forget a pending REST: the next transfer starts at 0 again."""
        self._restart_position = 0

    @staticmethod
    def error_text(error: BaseException) -> str:
        """pyftpdlib's wording of a filesystem error, as in its 550 replies."""
        return str(strerror(error))

    def pause_commands(self) -> None:
        """Read nothing more from the client until `resume_commands`."""
        self.del_channel()

    def resume_commands(self) -> None:
        self.add_channel()

    # --- login, answered later from the login pool

    def accept_login(self, home: str, message: str) -> None:
        """pyftpdlib's handle_auth_success, without keeping the password or logging the user."""
        self.respond(f"230 {message}")
        self.authenticated = True
        self.attempted_logins = 0
        self.fs = self.abstracted_fs(home, self)
        self.on_login(self.username)

    def refuse_login(self, message: str, *, delay_s: float, disconnect: bool) -> None:
        """pyftpdlib's handle_auth_failed: 530, after ``delay_s`` (0: at once); too many
        attempts, or ``disconnect``, close the session."""
        self.username = ""

        def answer() -> None:
            if self.is_closed:
                return
            self.resume_commands()
            self.attempted_logins += 1
            self.respond(f"530 {message}")
            if disconnect or self.attempted_logins >= self.max_login_attempts:
                self.close_when_done()
            self.on_login_failed("", "")

        if delay_s:
            self.pause_commands()
            self.call_later(delay_s, answer)
        else:
            answer()

    # --- pyftpdlib's methods

    def handle(self) -> None:
        refusal = self.refuse_connection()
        if refusal is Refusal.TOTAL:
            self.handle_max_cons()
        elif refusal is Refusal.ADDRESS:
            self.handle_max_cons_per_ip()
        elif refusal is Refusal.UNAVAILABLE:
            self.refuse_unavailable()
        else:
            super().handle()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.connection_closed()

    def pre_process_command(self, line: str, cmd: str, arg: str) -> None:
        if "\0" in line:
            self.logline("<- (a command with a NUL byte)")
            self.respond("501 A NUL byte is not allowed in a command or path.")
            return
        super().pre_process_command(line, cmd, arg)

    def process_command(self, cmd: str, *args: Any, **kwargs: Any) -> None:
        refusal = self.refuse_command(cmd)
        if refusal is not None:
            self.respond(refusal)
            return
        super().process_command(cmd, *args, **kwargs)

    def log(self, msg: str, logfun: Callable[..., None] | None = None) -> None:
        # pyftpdlib's session chatter goes to DEBUG: INFO keeps one line per upload.
        logger.debug("%s %s", self.log_identity, scrub_addresses(msg))

    def logline(self, msg: str, logfun: Callable[..., None] | None = None) -> None:
        if self._log_debug:
            if msg.upper().startswith("<- USER "):
                # Half of a login: the camera id in the prefix says who it is once logged in.
                msg = "<- USER ******"
            logger.debug("%s %s", self.log_identity, scrub_addresses(msg))

    def logerror(self, msg: str) -> None:
        logger.error("%s %s", self.log_identity, scrub_addresses(msg))

    def log_transfer(
        self,
        cmd: str,
        filename: str,
        receive: bool,
        completed: bool,
        elapsed: float,
        bytes: int,
    ) -> None:
        logger.debug(
            "%s %s completed=%s bytes=%s seconds=%s",
            self.log_identity,
            cmd,
            int(bool(completed)),
            bytes,
            elapsed,
        )

    def get_repr_info(
        self, as_str: bool = False, extra_info: dict[str, Any] | None = None
    ) -> dict[str, Any] | str:
        info = super().get_repr_info(False, extra_info)
        info["addr"] = shorten_address(str(self.remote_ip))
        info.pop("user", None)
        if as_str:
            return ", ".join(f"{k}={v!r}" for k, v in info.items())
        return dict(info)
