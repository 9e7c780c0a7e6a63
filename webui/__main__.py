"""``python -m webui [--config PATH] [--validate-config]``: serve the web UI with waitress."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from waitress import create_server

from core.service import run_service
from core.settings import Settings, parse_listen
from webui import create_app

logger = logging.getLogger("webui")


def serve(settings: Settings) -> int:
    app = create_app({"SETTINGS": settings})
    host, port = parse_listen(settings.web.listen)
    try:
        server = create_server(app, host=host, port=port, threads=settings.web.threads, ident="")
    except OSError as error:
        # Taken by another server, or a port below 1024 without the privilege.
        logger.error(
            "web UI cannot listen on %s ([web] listen): %s", settings.web.listen, error.strerror
        )
        return 1

    def stop(signum: int, frame: FrameType | None) -> None:
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


def main(argv: Sequence[str] | None = None) -> int:
    return run_service("webui", "AlarmVault web UI.", serve, argv)


if __name__ == "__main__":
    sys.exit(main())
