"""Several ingestd processes serving the same listening sockets (pre-fork), one per core.

pyftpdlib's loop and paramiko's threads each keep one core busy at most (the GIL), so on a
small box a single process leaves cores idle while cameras wait. The parent binds the FTP and
SFTP sockets, finishes the spool and jail recovery once, then forks ``[ingest] workers``
children that accept on the shared sockets: whichever worker is free takes the next
connection. Each worker gets its own slice of the passive port range (`worker_slots`), so
two workers never offer the same data port; the login ban is shared through
`shared_state` (the login ban), and the per-address connection limits are counted across
workers by `connection_limits`.

pyftpdlib's own ``worker_processes`` and ``MultiprocessFTPServer`` are not used: the first
serves FTP only, the second forks one process per connection (a fork per clip).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import threading
import time

from core.settings import Settings
from ingestd.daemon import IngestDaemon
from ingestd.keys import ensure_ssh_host_keys, ensure_tls_certificate
from ingestd.shared_state import reset_shared_state
from ingestd.storage import prepare_storage
from ingestd.worker_slots import WorkerSlot, bind_listener, log_listening, passive_ports_for

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1
STOP_GRACE_S = 20.0
RESTART_PAUSE_S = 1.0


def _die_with_parent() -> None:
    # A SIGKILLed parent must not leave workers holding the ports (Linux only; elsewhere the
    # workers notice on their next restart attempt).
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class WorkerSupervisor:
    """The parent process: binds, recovers, forks the workers, restarts one that dies."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.count = settings.ingest.workers
        self.stop_event = threading.Event()
        self._slots: list[WorkerSlot] = []
        self._children: dict[int, int] = {}  # pid -> worker index

    def start(self) -> None:
        # Before any thread exists: fork copies only the calling thread.
        prepare_storage(self.settings)
        reset_shared_state(self.settings)
        # Made once here, or each worker would generate its own and cameras would see both.
        if self.settings.ftp.enabled:
            ensure_tls_certificate(self.settings)
        if self.settings.sftp.enabled:
            ensure_ssh_host_keys(self.settings)
        ftp = bind_listener(self.settings.ftp.listen) if self.settings.ftp.enabled else None
        sftp = bind_listener(self.settings.sftp.listen) if self.settings.sftp.enabled else None
        self._slots = [WorkerSlot(i, self.count, ftp, sftp) for i in range(self.count)]
        passive = self.settings.ftp.passive_port_range
        for slot in self._slots:
            passive_ports_for(passive, slot)  # refuses a range too small, before forking
        # Said here once for every worker (each says it at DEBUG only).
        if ftp is not None:
            log_listening("FTP/FTPS", ftp.getsockname(), None)
        if sftp is not None:
            log_listening("SFTP", sftp.getsockname(), None)
        for slot in self._slots:
            self._fork(slot)
        logger.info("ingestd serving with %d worker processes", self.count)

    def _fork(self, slot: WorkerSlot) -> None:
        pid = os.fork()
        if pid == 0:
            os._exit(self._run_worker(slot))
        self._children[pid] = slot.index

    def _run_worker(self, slot: WorkerSlot) -> int:
        _die_with_parent()
        daemon = IngestDaemon(self.settings, slot=slot)
        signal.signal(signal.SIGTERM, lambda signum, frame: daemon.stop_event.set())
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGHUP, lambda signum, frame: daemon.reload_tls())
        try:
            daemon.start_servers()
            daemon.run_until_stopped()
            daemon.stop()
        except Exception:
            logger.exception("ingestd worker %d failed", slot.index)
            return 1
        finally:
            logging.shutdown()
        return 0

    def reload_tls(self) -> None:
        """Pass SIGHUP on: every worker loads the FTPS certificate and key again."""
        for pid in list(self._children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGHUP)

    def run_until_stopped(self) -> None:
        """Wait for SIGTERM; a worker that dies meanwhile is started again."""
        while not self.stop_event.is_set():
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                self.stop_event.wait(0.5)
                continue
            index = self._children.pop(pid, None)
            if index is None or self.stop_event.is_set():
                continue
            logger.error("ingestd worker %d exited (status %d); starting it again", index, status)
            time.sleep(RESTART_PAUSE_S)
            self._fork(self._slots[index])

    def stop(self) -> None:
        """SIGTERM every worker (each removes its unfinished uploads), then wait for them."""
        self.stop_event.set()
        for pid in list(self._children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        while self._children and time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                time.sleep(0.05)
                continue
            self._children.pop(pid, None)
        for pid in list(self._children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self._children.clear()
        for slot in self._slots[:1]:
            for sock in (slot.ftp_socket, slot.sftp_socket):
                if sock is not None:
                    sock.close()
