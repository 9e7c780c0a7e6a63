"""``python -m ingestd [--config PATH] [--validate-config]``: serve camera uploads until SIGTERM.

SIGHUP loads the FTPS certificate and key again (certbot's deploy hook, ``systemctl reload``).
"""

from __future__ import annotations

# Before anything loads OpenSSL: it reads its configuration once (see ingestd.openssl_config).
from ingestd.openssl_config import use_ingestd_openssl_config

use_ingestd_openssl_config()

import logging  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from types import FrameType  # noqa: E402

from core.service import run_service  # noqa: E402
from core.settings import Settings  # noqa: E402
from ingestd.daemon import IngestDaemon  # noqa: E402
from ingestd.workers import WorkerSupervisor  # noqa: E402

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
