"""One ingestd process: the FTP/FTPS and SFTP servers sharing one credential store and spool.

Alone (``[ingest] workers = 1``, and in tests) it binds its own ports; as one of several
pre-forked workers (`ingestd.workers`) it serves the sockets its parent bound.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from core.catalog import open_catalog
from core.settings import Settings
from core.spool import ensure_spool, recover_staging
from ingestd.authorizers import CameraCredentials
from ingestd.connection_limits import ConnectionLimiter, connection_limiter_for
from ingestd.handover import UploadHandover
from ingestd.limits import StorageGuard
from ingestd.shared_ban import SharedLoginBan
from ingestd.workers import WorkerSlot, serves_ftp

logger = logging.getLogger(__name__)


def remove_partial_uploads(uploads_dir: Path) -> int:
    """Delete files left in the jails; returns how many.

    A completed upload leaves its jail at once, so at start every file still there is one that
    a killed ingestd was receiving: partial, never to be handed over.
    """
    removed = 0
    for path in uploads_dir.glob("*/**/*"):
        if path.is_file() and not path.is_symlink():
            path.unlink()
            removed += 1
    return removed


class IngestDaemon:
    """Starts and stops everything ingestd runs; `start()` is the list of what that is."""

    def __init__(self, settings: Settings, slot: WorkerSlot | None = None) -> None:
        self.settings = settings
        self.slot = slot
        self.stop_event = threading.Event()
        self.credentials: CameraCredentials | None = None
        self.connection_limiter: ConnectionLimiter | None = None
        self.ftp = None
        self.sftp = None

    def start(self) -> None:
        self.start_storage()
        self.start_servers()

    def start_servers(self) -> None:
        """Everything but the storage recovery, which a worker's parent has done already."""
        credentials = self.start_credentials()
        # One per process: a worker's shared limiter first clears the rows it left behind.
        self.connection_limiter = connection_limiter_for(self.settings, self.slot)
        handover = UploadHandover(self.settings.storage.spool_dir, credentials.login_is_current)
        guard = StorageGuard(self.settings)
        if self.settings.ftp.enabled and serves_ftp(self.slot, self.settings.ftp.workers):
            self.start_ftp(handover, guard)
        if self.settings.sftp.enabled:
            self.start_sftp(handover, guard)

    def start_storage(self) -> None:
        storage = self.settings.storage
        ensure_spool(storage.spool_dir)
        promoted, removed = recover_staging(storage.spool_dir)
        if promoted or removed:
            logger.info("spool recovery: %d handovers finished, %d removed", promoted, removed)
        storage.uploads_dir.mkdir(parents=True, exist_ok=True, mode=0o750)
        removed = remove_partial_uploads(storage.uploads_dir)
        if removed:
            logger.warning("removed %d partial uploads left by an earlier run", removed)
        # Applies pending migrations (camera_keys) before any login reads the catalog.
        open_catalog(storage.catalog_path).close()

    def start_credentials(self) -> CameraCredentials:
        # Workers share the ban so that a guesser gains nothing by landing on another one.
        ban = SharedLoginBan.for_settings(self.settings) if self.slot else None
        self.credentials = CameraCredentials(self.settings, ban)
        return self.credentials

    def start_ftp(self, handover: UploadHandover, guard: StorageGuard) -> None:
        from ingestd.servers import FtpService

        self.ftp = FtpService(
            self.settings, self.credentials, handover, guard, self.slot, self.connection_limiter
        )
        self.ftp.start()

    def start_sftp(self, handover: UploadHandover, guard: StorageGuard) -> None:
        from ingestd.sftp.listener import SftpService

        self.sftp = SftpService(
            self.settings, self.credentials, handover, guard, self.slot, self.connection_limiter
        )
        self.sftp.start()

    def run_until_stopped(self) -> None:
        self.stop_event.wait()

    def stop(self) -> None:
        """Undo `start()`: servers first (they remove unfinished uploads), then the store."""
        if self.sftp is not None:
            self.sftp.stop()
            self.sftp = None
        if self.ftp is not None:
            self.ftp.stop()
            self.ftp = None
        if self.connection_limiter is not None:
            self.connection_limiter.close()
            self.connection_limiter = None
        if self.credentials is not None:
            self.credentials.close()
            self.credentials = None
        self.stop_event.set()
