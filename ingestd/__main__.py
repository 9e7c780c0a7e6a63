"""``python -m ingestd [--config PATH] [--validate-config]``: serve camera uploads until SIGTERM.

SIGHUP loads the FTPS certificate and key again (certbot's deploy hook, ``systemctl reload``).
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from core.service import run_service
from core.settings import Settings
from ingestd.daemon import IngestDaemon
from ingestd.workers import WorkerSupervisor

logger = logging.getLogger("ingestd")


def serve(settings: Settings) -> int:
    many_workers = settings.ingest.workers > 1
    daemon = WorkerSupervisor(settings) if many_workers else IngestDaemon(settings)

    def request_stop(signum: int, frame: FrameType | None) -> None:
        daemon.stop_event.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGHUP, lambda signum, frame: daemon.reload_tls())
    try:
        daemon.start()
    except (OSError, ValueError) as error:
        logger.error("ingestd could not start: %s", error)
        daemon.stop()
        return 1
    daemon.run_until_stopped()
    logger.info("ingestd stopping")
    daemon.stop()
    logger.info("ingestd stopped")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_service("ingestd", "AlarmVault upload server (FTP, FTPS, SFTP).", serve, argv)


if __name__ == "__main__":
    sys.exit(main())
