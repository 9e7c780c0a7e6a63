"""One ingestd process: the FTP/FTPS and SFTP servers sharing one credential store and spool.

Alone (``[ingest] workers = 1``, and in tests) it binds its own ports; as one of several
pre-forked workers (`ingestd.workers`) it serves the sockets its parent bound.
"""

from __future__ import annotations

import logging
import threading

from core.settings import Settings
from ingestd.connection_limits import ConnectionLimiter, connection_limiter_for
from ingestd.credentials import CameraCredentials
from ingestd.ftp.service import FtpService
from ingestd.handover import UploadHandover
from ingestd.limits import StorageGuard
from ingestd.login_ban import LoginBan
from ingestd.sftp.listener import SftpService
from ingestd.storage import prepare_storage
from ingestd.worker_slots import WorkerSlot, serves_ftp

logger = logging.getLogger(__name__)


class IngestDaemon:
    """Starts and stops everything ingestd runs; `start()` is the list of what that is."""

    def __init__(self, settings: Settings, slot: WorkerSlot | None = None) -> None:
        self.settings = settings
        self.slot = slot
        self.stop_event = threading.Event()
        self.credentials: CameraCredentials | None = None
        self.connection_limiter: ConnectionLimiter | None = None
        self.ftp: FtpService | None = None
        self.sftp: SftpService | None = None
        self.handover: UploadHandover | None = None
        self.guard: StorageGuard | None = None

    def start(self) -> None:
        self.start_storage()
        self.start_servers()

    def start_servers(self) -> None:
        """Everything but the storage recovery, which a worker's parent has done already."""
        credentials = self.start_credentials()
        # One per process: a worker's shared limiter first clears the rows it left behind.
        self.connection_limiter = connection_limiter_for(self.settings, self.slot)
        ingest = self.settings.ingest
        handover = UploadHandover(
            self.settings.storage.spool_dir,
            credentials.login_is_current,
            ingest.temporary_names,
            ingest.rename_timeout_s,
            ingest.max_uploads_awaiting_rename,
        )
        handover.start()
        self.handover = handover
        guard = StorageGuard(self.settings)
        guard.start()
        self.guard = guard
        if self.settings.ftp.enabled and serves_ftp(self.slot, self.settings.ftp.workers):
            self.start_ftp(credentials, handover, guard)
        if self.settings.sftp.enabled:
            self.start_sftp(credentials, handover, guard)

    def start_storage(self) -> None:
        prepare_storage(self.settings)

    def start_credentials(self) -> CameraCredentials:
        # Workers share the ban so that a guesser gains nothing by landing on another one.
        ban = LoginBan.for_settings(self.settings, shared=self.slot is not None)
        self.credentials = CameraCredentials(self.settings, ban)
        return self.credentials

    def start_ftp(
        self, credentials: CameraCredentials, handover: UploadHandover, guard: StorageGuard
    ) -> None:
        self.ftp = FtpService(
            self.settings, credentials, handover, guard, self.slot, self.connection_limiter
        )
        self.ftp.start()

    def start_sftp(
        self, credentials: CameraCredentials, handover: UploadHandover, guard: StorageGuard
    ) -> None:
        self.sftp = SftpService(
            self.settings, credentials, handover, guard, self.slot, self.connection_limiter
        )
        self.sftp.start()

    def run_until_stopped(self) -> None:
        self.stop_event.wait()

    def reload_tls(self) -> None:
        """Load the FTPS certificate and key again (SIGHUP, after a certbot renewal): new
        connections get the new one, open sessions and their uploads keep theirs."""
        if self.ftp is not None:
            self.ftp.request_tls_reload()

    def stop(self) -> None:
        """Undo `start()`: servers first (they remove unfinished uploads), then the store."""
        if self.sftp is not None:
            self.sftp.stop()
            self.sftp = None
        if self.ftp is not None:
            self.ftp.stop()
            self.ftp = None
        if self.handover is not None:
            # After the servers: uploads still waiting for a rename are handed over now.
            self.handover.stop()
            self.handover = None
        if self.guard is not None:
            self.guard.stop()
            self.guard = None
        if self.connection_limiter is not None:
            self.connection_limiter.close()
            self.connection_limiter = None
        if self.credentials is not None:
            self.credentials.close()
            self.credentials = None
        self.stop_event.set()
