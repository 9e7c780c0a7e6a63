"""The FTP/FTPS server of one ingestd process: pyftpdlib's single-threaded I/O loop, in a thread.

Each server gets its own loop and its own configured handler class, so two servers in one
process (tests run many) never share pyftpdlib's class-level settings.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading

from OpenSSL import SSL
from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import FTPServer

from core.settings import Settings
from ingestd.connection_limits import ConnectionLimiter
from ingestd.credentials import CameraCredentials
from ingestd.filesystems import FolderLimits
from ingestd.ftp.authorizer import CameraFTPAuthorizer
from ingestd.ftp.handlers import CameraDTPHandler, CameraFTPHandler
from ingestd.ftp.pyftpdlib_adapter import LoopBridge
from ingestd.handover import UploadHandover
from ingestd.keys import ensure_tls_certificate
from ingestd.limits import StorageGuard
from ingestd.log_privacy import install_address_scrubber
from ingestd.worker_slots import (
    WorkerSlot,
    bind_listener,
    ftp_worker_count,
    log_listening,
    passive_ports_for,
)

logger = logging.getLogger(__name__)


# TLS 1.2: forward secrecy (ECDHE) and authenticated encryption (GCM, ChaCha20) only; static-RSA
# key exchange (AES128-SHA and friends) and CBC suites are left out. TLS 1.3 suites are all AEAD.
MODERN_TLS12_CIPHERS = b"ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL"
# `tls_min_version` 1.0/1.1: old firmware's CBC and static-RSA suites, and the MD5+SHA-1 handshake
# signatures that OpenSSL 3's default security level refuses.
LEGACY_TLS_CIPHERS = b"DEFAULT:@SECLEVEL=0"

TLS_VERSIONS = {
    "1.0": SSL.TLS1_VERSION,
    "1.1": SSL.TLS1_1_VERSION,
    "1.2": SSL.TLS1_2_VERSION,
    "1.3": SSL.TLS1_3_VERSION,
}


def tls_context(settings: Settings) -> SSL.Context:
    """The FTPS context: the certificate and the TLS settings of ``[ftp]``."""
    ftp = settings.ftp
    newest = ftp.tls_max_version
    if newest == "1.3" and sends_tls13_session_tickets(_new_tls_context(settings, newest)):
        # Tickets sent after the handshake make lftp abort FTPS uploads (ingestd.openssl_config
        # turns them off; here it did not take effect): TLS 1.2 is the safer default then.
        if ftp.tls_min_version == "1.3":
            logger.warning(
                "FTPS sends TLS 1.3 session tickets (OPENSSL_CONF without NumTickets = 0): "
                "clients such as lftp may abort uploads"
            )
        else:
            logger.warning(
                "FTPS offers TLS 1.2 at most: OpenSSL would send TLS 1.3 session tickets, "
                "which make clients such as lftp abort uploads (start ingestd with "
                "`python -m ingestd`, or set NumTickets = 0 in the OPENSSL_CONF file)"
            )
            newest = "1.2"
    return _new_tls_context(settings, newest)


def _new_tls_context(settings: Settings, newest: str) -> SSL.Context:
    cert, key = ensure_tls_certificate(settings)
    ftp = settings.ftp
    context = SSL.Context(SSL.TLS_SERVER_METHOD)
    context.set_min_proto_version(TLS_VERSIONS[ftp.tls_min_version])
    context.set_max_proto_version(TLS_VERSIONS[newest])
    context.set_cipher_list(
        LEGACY_TLS_CIPHERS if ftp.tls_min_version in ("1.0", "1.1") else MODERN_TLS12_CIPHERS
    )
    context.set_options(SSL.OP_NO_COMPRESSION)
    context.use_certificate_chain_file(str(cert))
    context.use_privatekey_file(str(key))
    # Lets clients resume the control connection's TLS session on data connections.
    context.set_session_id(b"alarmvault-ftps")
    return context


def sends_tls13_session_tickets(server_context: SSL.Context) -> bool:
    """Whether ``server_context`` sends session tickets after a TLS 1.3 handshake: a handshake
    with a client in memory, then a look at what the server has still to send."""
    client_context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    client_context.set_min_proto_version(SSL.TLS1_3_VERSION)
    client = SSL.Connection(client_context, None)
    client.set_connect_state()
    server = SSL.Connection(server_context, None)
    server.set_accept_state()
    for _ in range(8):  # a TLS 1.3 handshake takes two round trips
        with contextlib.suppress(SSL.WantReadError):
            client.do_handshake()
        _move_bytes(client, server)
        try:
            server.do_handshake()
        except SSL.WantReadError:
            _move_bytes(server, client)
            continue
        # The server's handshake ends on the client's Finished; tickets follow it at once.
        return bool(_move_bytes(server, client))
    raise RuntimeError("TLS 1.3 handshake in memory did not finish")


def _move_bytes(sender: SSL.Connection, receiver: SSL.Connection) -> int:
    moved = 0
    while True:
        try:
            data = sender.bio_read(65536)
        except SSL.WantReadError:
            return moved
        receiver.bio_write(data)
        moved += len(data)


# How often the FTPS certificate and key files are checked for a change.
TLS_RELOAD_CHECK_S = 30.0


def tls_files_state(settings: Settings) -> tuple[tuple[str, int, int], ...]:
    """(path, size, mtime) of the certificate and key in use: a renewal changes them. An admin
    certificate is read through its symlinks (certbot's live/ folder)."""
    cert, key = ensure_tls_certificate(settings)
    state = []
    for path in (cert, key):
        try:
            info = os.stat(path)
        except OSError:
            state.append((str(path), -1, -1))
        else:
            state.append((str(path), info.st_size, info.st_mtime_ns))
    return tuple(state)


class FtpService:
    """The FTP/FTPS server of one ingestd process, running its I/O loop in a thread."""

    def __init__(
        self,
        settings: Settings,
        credentials: CameraCredentials,
        handover: UploadHandover,
        guard: StorageGuard,
        slot: WorkerSlot | None = None,
        limiter: ConnectionLimiter | None = None,
    ) -> None:
        ftp = settings.ftp
        workers = ftp_worker_count(slot, ftp.workers)
        # Our log lines already carry what matters; without a handler pyftpdlib adds its own.
        if not logging.getLogger("pyftpdlib").handlers:
            logging.getLogger("pyftpdlib").addHandler(logging.NullHandler())
        install_address_scrubber("pyftpdlib")
        self.ioloop = IOLoop.factory()
        self.bridge = LoopBridge(self.ioloop)
        data_handler = type(
            "ConfiguredCameraDTPHandler", (CameraDTPHandler,), {"timeout": ftp.data_timeout_s}
        )
        handler = type(
            "ConfiguredCameraFTPHandler",
            (CameraFTPHandler,),
            {
                "authorizer": CameraFTPAuthorizer(),
                "credentials": credentials,
                "handover": handover,
                "guard": guard,
                "folder_limits": FolderLimits.for_settings(settings),
                "bridge": self.bridge,
                "ssl_context": tls_context(settings),
                "tls_control_required": ftp.require_tls,
                "tls_data_required": ftp.require_tls,
                "passive_ports": passive_ports_for(ftp.passive_port_range, slot, ftp.workers),
                "masquerade_address": ftp.masquerade_address,
                "permit_foreign_addresses": ftp.permit_foreign_addresses,
                "timeout": ftp.idle_timeout_s,
                "banner": ftp.banner,
                "auth_failed_timeout": settings.ingest.failed_login_delay_s,
                # Alone, this process's count (max_cons_per_ip below) is the whole count.
                "connection_limiter": limiter if limiter is not None and limiter.shared else None,
                "dtp_handler": data_handler,
            },
        )
        listener = slot.ftp_socket if slot and slot.ftp_socket else bind_listener(ftp.listen)
        self.handler: type[CameraFTPHandler] = handler
        self._settings = settings
        self._tls_files = tls_files_state(settings)
        self.server = FTPServer(listener, handler, ioloop=self.ioloop, backlog=128)
        self._slot = slot
        # The total is shared out among the FTP workers: it guards each process's file
        # descriptors. The per-address limit is counted across them by `connection_limiter`
        # (see `connection_limits`); pyftpdlib's count of this process stays as a cheap check
        # that holds even while the shared count fails open.
        self.server.max_cons = max(1, -(-ftp.max_connections // workers))
        self.server.max_cons_per_ip = ftp.max_connections_per_ip
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address

    def reload_tls(self, *, force: bool = False) -> bool:
        """A new certificate or key on disk (a certbot renewal) is used for new connections;
        sessions already open keep theirs, so no upload is dropped. ``force`` reloads even when
        the files look unchanged (SIGHUP). Runs in the I/O loop."""
        state = tls_files_state(self._settings)
        if state == self._tls_files and not force:
            return False
        try:
            context = tls_context(self._settings)
        except (OSError, SSL.Error) as error:
            # Half-written by the renewal? The old certificate serves until the next check.
            logger.warning("FTPS certificate changed but could not be loaded: %s", error)
            return False
        self.handler.ssl_context = context
        self._tls_files = state
        logger.info("FTPS certificate reloaded")
        return True

    def request_tls_reload(self) -> None:
        """`reload_tls` (forced) from any thread or a signal handler: it runs in the I/O loop."""
        self.bridge.call_soon(lambda: self.reload_tls(force=True))

    def start(self) -> None:
        self.ioloop.call_every(TLS_RELOAD_CHECK_S, self.reload_tls)
        self._thread = threading.Thread(target=self._serve, name="ingestd-ftp", daemon=True)
        self._thread.start()
        log_listening("FTP/FTPS", self.address, self._slot)

    def _serve(self) -> None:
        try:
            self.ioloop.loop(timeout=None, blocking=True)
        except Exception:
            logger.exception("the FTP I/O loop stopped on an error")

    def stop(self) -> None:
        """Close every connection (unfinished uploads are removed) and end the loop."""
        if self._thread is None:
            self.ioloop.close()
            return
        self.bridge.call_soon(self.ioloop.close)
        self._thread.join(timeout=10)
        self._thread = None
