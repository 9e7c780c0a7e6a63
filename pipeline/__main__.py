"""``python -m pipeline [--config PATH] [--validate-config]``: the pipeline daemon."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Sequence

from core.service import run_service
from core.settings import Settings
from pipeline.daemon import PipelineDaemon

logger = logging.getLogger("pipeline")


def serve(settings: Settings) -> int:
    daemon = PipelineDaemon(settings)
    signal.signal(signal.SIGTERM, lambda *_: daemon.stop_event.set())
    signal.signal(signal.SIGINT, lambda *_: daemon.stop_event.set())
    daemon.start()
    logger.info("pipeline started: spool=%s", settings.storage.spool_dir)
    daemon.wait()
    daemon.stop()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    return run_service("pipeline", "AlarmVault pipeline daemon.", serve, argv)


if __name__ == "__main__":
    sys.exit(main())
