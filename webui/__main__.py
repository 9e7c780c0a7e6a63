"""``python -m webui [--config PATH]``: serve the web UI with waitress until SIGTERM/Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Sequence

from pipeline.settings import ConfigError, load_settings, parse_listen

logger = logging.getLogger("webui")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m webui", description="AlarmVault web UI")
    parser.add_argument("--config", metavar="PATH", help="settings file (or $ALARMVAULT_CONFIG)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as error:
        print(f"webui: invalid settings:\n{error}", file=sys.stderr)
        return 2
    from waitress import create_server

    from pipeline.cli import setup_logging
    from webui import create_app

    setup_logging(settings)
    app = create_app({"SETTINGS": settings})
    host, port = parse_listen(settings.web.listen)
    server = create_server(app, host=host, port=port, threads=settings.web.threads, ident="")

    def stop(signum, frame):
        # waitress' run loop ends cleanly on SystemExit, finishing its worker threads.
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    logger.info("web UI listening on %s:%d", host, port)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    logger.info("web UI stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
