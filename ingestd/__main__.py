"""``python -m ingestd [--config PATH]``: serve camera uploads until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from ingestd.daemon import IngestDaemon
from ingestd.workers import WorkerSupervisor
from pipeline.settings import CONFIG_ENV, ConfigError, load_settings

logger = logging.getLogger("ingestd")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingestd", description="AlarmVault upload server (FTP, FTPS, SFTP)."
    )
    parser.add_argument("--config", help=f"settings file (default: ${CONFIG_ENV})")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as error:
        print(f"ingestd: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.logging.level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if settings.ingest.workers > 1:
        daemon: IngestDaemon | WorkerSupervisor = WorkerSupervisor(settings)
    else:
        daemon = IngestDaemon(settings)

    def request_stop(signum: int, frame) -> None:
        daemon.stop_event.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
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


if __name__ == "__main__":
    sys.exit(main())
