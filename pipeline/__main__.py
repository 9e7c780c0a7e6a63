"""``python -m pipeline [--config PATH] [--validate-config]``: the pipeline daemon."""

from __future__ import annotations

import argparse
import logging
import signal
import sys

from pipeline.settings import ConfigError, load_settings

logger = logging.getLogger("pipeline")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    parser.add_argument("--config", metavar="PATH", help="settings file")
    parser.add_argument(
        "--validate-config", action="store_true", help="check the settings and exit"
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as error:
        print(f"pipeline: invalid settings:\n{error}", file=sys.stderr)
        return 2
    if args.validate_config:
        print("settings OK")
        return 0
    from pipeline.cli import setup_logging
    from pipeline.daemon import PipelineDaemon

    setup_logging(settings)
    daemon = PipelineDaemon(settings)
    signal.signal(signal.SIGTERM, lambda *_: daemon.stop_event.set())
    signal.signal(signal.SIGINT, lambda *_: daemon.stop_event.set())
    daemon.start()
    logger.info("pipeline started: spool=%s", settings.storage.spool_dir)
    daemon.wait()
    daemon.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
