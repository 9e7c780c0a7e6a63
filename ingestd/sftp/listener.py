"""Accepting SSH connections: limits per address, transport tuning, login and idle timeouts.

The connection limits are counted by a `connection_limits.ConnectionLimiter`, across all workers
when several serve SFTP; each admitted connection gives its ticket back once, when it is
forgotten as closed (`_forget_closed`) or closed by `stop()`.

Tuning from docs/cameras.md (Upload speed): TCP_NODELAY on the accepted socket (else Nagle and
delayed ACKs stall every write reply), a big window *together with* a big max packet. The cipher
is the client's first choice among those offered (RFC 4253 §7.1): the server's order decides
nothing, only `[sftp] ciphers` leaving some out does.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import threading
import time
from dataclasses import dataclass
from functools import partial

import paramiko

from core.catalog import DATABASE_ERRORS
from core.settings import Settings
from core.spool import shorten_address
from ingestd.connection_limits import (
    MSG_UNAVAILABLE,
    SFTP,
    ConnectionLimiter,
    LocalConnectionLimiter,
    Refusal,
    Ticket,
    limits_for,
)
from ingestd.credentials import CameraCredentials
from ingestd.filesystems import FolderLimits
from ingestd.handover import UploadHandover
from ingestd.keys import ensure_ssh_host_keys
from ingestd.limits import StorageGuard
from ingestd.sftp.interface import JailedSFTPServer
from ingestd.sftp.protocol import (
    TunedSFTPServer,
    legacy_host_key,
    negotiated_algorithms,
    offer_legacy_algorithms,
    remember_agreed_kex,
)
from ingestd.sftp.server import CameraSSHServer
from ingestd.worker_slots import WorkerSlot, bind_listener, log_listening

logger = logging.getLogger(__name__)

SERVER_VERSION = "AlarmVault"
HOUSEKEEPING_INTERVAL_S = 1.0


@dataclass
class _Connection:
    transport: paramiko.Transport
    session: CameraSSHServer
    remote_ip: str
    ticket: Ticket


class QuietNegotiationFailures(logging.Filter):
    """paramiko logs a client that gives up during key exchange (``ssh-keyscan`` asking for a
    key type we do not have, a scanner, an old client) as an ERROR and a traceback, one record
    per line, and one that resets the connection as an ERROR. One INFO line says it; the
    traceback records of that thread are dropped."""

    PREFIX = "Exception (server): "
    # A client that resets the connection (ssh-keyscan under load, a scanner) is no server error.
    RESET = "Socket exception: Connection reset by peer"

    def __init__(self) -> None:
        super().__init__()
        self._in_traceback = threading.local()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR:
            return True
        message = str(record.msg)
        if message.startswith(self.RESET):
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = "ssh connection reset by the client's side", ()
            return True
        if message.startswith(self.PREFIX):
            self._in_traceback.active = True
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg, record.args = (
                "ssh session ended by the client's side: %s",
                (message[len(self.PREFIX) :],),
            )
            return True
        # paramiko's tb_strings(): the lines that follow, ending with an empty one.
        return not getattr(self._in_traceback, "active", False)


def quiet_negotiation_failures() -> None:
    transport_logger = logging.getLogger("paramiko.transport")
    if not any(isinstance(f, QuietNegotiationFailures) for f in transport_logger.filters):
        transport_logger.addFilter(QuietNegotiationFailures())


def load_host_keys(settings: Settings) -> list[paramiko.PKey]:
    keys = []
    for path in ensure_ssh_host_keys(settings):
        keys.append(paramiko.PKey.from_path(path))
    return keys


class SftpService:
    """The SFTP server of one ingestd process: an accept thread and a housekeeping thread."""

    def __init__(
        self,
        settings: Settings,
        credentials: CameraCredentials,
        handover: UploadHandover,
        guard: StorageGuard,
        slot: WorkerSlot | None = None,
        limiter: ConnectionLimiter | None = None,
    ) -> None:
        self.settings = settings.sftp
        # paramiko's DEBUG output names every account that tries to log in and dumps the key
        # exchange; our own debug lines trace a camera's session without that (privacy rules:
        # docs/architecture.md).
        paramiko_logger = logging.getLogger("paramiko")
        if paramiko_logger.level < logging.INFO:  # NOTSET (0) too: it would follow the root
            paramiko_logger.setLevel(logging.INFO)
        quiet_negotiation_failures()
        self.credentials = credentials
        self.handover = handover
        self.guard = guard
        self.folder_limits = FolderLimits.for_settings(settings)
        self.max_open_files = settings.ingest.max_open_files_per_session
        self.host_keys = load_host_keys(settings)
        if self.settings.legacy_algorithms:
            self.host_keys = [legacy_host_key(key) for key in self.host_keys]
        self._slot = slot
        if slot and slot.sftp_socket:
            self._socket = slot.sftp_socket
        else:
            self._socket = bind_listener(self.settings.listen)
        self._socket.setblocking(False)
        # Both the total and the per-address limit are counted across workers by the limiter
        # the daemon passes in; alone, this process counts its own connections.
        self.limiter = limiter or LocalConnectionLimiter(limits_for(settings))
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._connections: list[_Connection] = []
        self._threads: list[threading.Thread] = []

    @property
    def address(self) -> tuple[str, int]:
        return self._socket.getsockname()[:2]

    def start(self) -> None:
        for target, name in ((self._accept_loop, "accept"), (self._housekeeping, "housekeeping")):
            thread = threading.Thread(target=target, name=f"ingestd-sftp-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        log_listening("SFTP", self.address, self._slot)

    def stop(self) -> None:
        """Stop accepting, close every connection (cut-off uploads are removed), join threads."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads.clear()
        self._socket.close()
        with self._lock:
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.transport.close()
            self.limiter.release(connection.ticket)
        for connection in connections:
            self._join(connection)

    # --- accepting

    def _accept_loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._socket, selectors.EVENT_READ)
            while not self._stop.is_set():
                if not selector.select(timeout=0.5):
                    continue
                try:
                    sock, address = self._socket.accept()
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    if self._stop.is_set():
                        return
                    logger.exception("sftp accept failed")
                    continue
                try:
                    self._serve(sock, address[0])
                except Exception:
                    logger.exception("sftp connection setup failed")
                    sock.close()

    def _serve(self, sock: socket.socket, remote_ip: str) -> None:
        sock.setblocking(True)
        admission = self._admit(remote_ip)
        if not isinstance(admission, Ticket):
            # Lines before the SSH version string are allowed; OpenSSH shows them.
            with contextlib.suppress(OSError):
                sock.sendall(f"{admission}\r\n".encode())
            sock.close()
            return
        try:
            connection = self._start_transport(sock, remote_ip, admission)
        except BaseException:
            self.limiter.release(admission)
            raise
        with self._lock:
            self._connections.append(connection)

    def _start_transport(self, sock: socket.socket, remote_ip: str, ticket: Ticket) -> _Connection:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport = paramiko.Transport(
            sock,
            default_window_size=self.settings.window_size_mb * 1024 * 1024,
            default_max_packet_size=self.settings.max_packet_kb * 1024,
        )
        transport.local_version = f"SSH-2.0-{SERVER_VERSION}"
        # The key exchange is part of logging in. (paramiko's handshake timer also outlives a
        # failed exchange by this long, as an idle thread.)
        transport.handshake_timeout = min(
            transport.handshake_timeout, self.settings.login_timeout_s
        )
        options = transport.get_security_options()
        options.ciphers = self.settings.offered_ciphers
        options.digests = self.settings.offered_macs
        if self.settings.legacy_algorithms:
            offer_legacy_algorithms(transport)
        agreed_kex = remember_agreed_kex(transport)
        for key in self.host_keys:
            transport.add_server_key(
                legacy_host_key(key) if self.settings.legacy_algorithms else key
            )
        transport.set_subsystem_handler("sftp", TunedSFTPServer, JailedSFTPServer)
        session = CameraSSHServer(
            remote_ip,
            self.credentials,
            self.handover,
            self.guard,
            public_keys=self.settings.public_keys,
            folder_limits=self.folder_limits,
            max_open_files=self.max_open_files,
            max_channels=self.settings.max_channels_per_connection,
            login_crypto=partial(negotiated_algorithms, transport, agreed_kex),
        )
        # With an event, start_server returns at once; the transport runs in its own thread.
        # Listed only after this: before it, is_active() is False and housekeeping would
        # forget the connection (and give its ticket back) while it is being set up.
        transport.start_server(event=threading.Event(), server=session)
        return _Connection(transport, session, remote_ip, ticket)

    def _admit(self, remote_ip: str) -> Ticket | str:
        """A ticket for one more connection from ``remote_ip``, or the refusal to send it."""
        try:
            closed = self.credentials.address_is_closed(remote_ip)
        except DATABASE_ERRORS as error:
            logger.info(
                "sftp refused: the login ban cannot be checked (%s) %s",
                type(error).__name__,
                shorten_address(remote_ip),
            )
            return MSG_UNAVAILABLE
        if closed:
            return "Too many failed logins from your address; try again later."
        with self._lock:
            self._forget_closed()  # frees their slots first
        outcome = self.limiter.admit(SFTP, remote_ip)
        if outcome is Refusal.TOTAL:
            logger.warning("sftp refused: all %d connections in use", self.settings.max_connections)
            return "Too many connections; try again later."
        if outcome is Refusal.ADDRESS:
            logger.info("sftp refused: too many connections from %s", shorten_address(remote_ip))
            return "Too many connections from your address."
        if outcome is Refusal.UNAVAILABLE:
            logger.info("sftp refused: %s %s", outcome.value, shorten_address(remote_ip))
            return MSG_UNAVAILABLE
        return outcome

    # --- timeouts

    def _housekeeping(self) -> None:
        while not self._stop.wait(HOUSEKEEPING_INTERVAL_S):
            now = time.monotonic()
            with self._lock:
                self._forget_closed()
                connections = list(self._connections)
            for connection in connections:
                session = connection.session
                if not connection.transport.is_authenticated():
                    if now - session.connected_at > self.settings.login_timeout_s:
                        logger.info("%s sftp login timed out", session.log_identity)
                        connection.transport.close()
                elif now - session.last_active > self.settings.idle_timeout_s:
                    logger.info("%s sftp session idle, closed", session.log_identity)
                    connection.transport.close()

    def _forget_closed(self) -> None:
        # Threads of closed connections end by themselves; only stop() waits for them. A
        # connection leaves the list here or in stop(), never both: its ticket goes back once.
        still_open = []
        for connection in self._connections:
            if connection.transport.is_active():
                still_open.append(connection)
            else:
                self.limiter.release(connection.ticket)
        self._connections = still_open

    @staticmethod
    def _join(connection: _Connection) -> None:
        connection.transport.join(timeout=5)
        for thread in connection.session.subsystem_threads:
            thread.join(timeout=5)
