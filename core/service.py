"""How each of the three services starts: one command line, one settings check, one log format.

``python -m ingestd``, ``python -m pipeline`` and ``python -m webui`` all take ``--config PATH``
and ``--validate-config`` (for systemd's ``ExecStartPre``), exit 2 with the offending key on
invalid settings, and log in the same format, so an admin tailing the journal reads one style.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from core.catalog.engine import UNREACHABLE_ERRORS, name_connections, unreachable_reason
from core.settings import CONFIG_ENV, ConfigError, Settings, load_settings

logger = logging.getLogger(__name__)

EXIT_INVALID_SETTINGS = 2
# The catalog's server could not be used (unreachable, login refused): say why in one line
# rather than a traceback; systemd starts the service again (Restart=) and it goes on then.
EXIT_CATALOG_UNREACHABLE = 1


def setup_logging(settings: Settings) -> None:
    """One format for every process; under systemd the journal adds the time itself."""
    fmt = "%(levelname)s %(name)s: %(message)s"
    if not os.environ.get("JOURNAL_STREAM"):
        fmt = "%(asctime)s " + fmt
    logging.basicConfig(level=settings.logging.level, format=fmt, force=True)
    # apscheduler narrates every job it adds at INFO; our runner logs one line per job run.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def run_service(
    name: str,
    description: str,
    serve: Callable[[Settings], int],
    argv: Sequence[str] | None = None,
) -> int:
    """Parse the service's command line, load and check its settings, then ``serve(settings)``.

    ``serve`` runs with logging set up and returns the process's exit status.
    """
    parser = argparse.ArgumentParser(prog=f"python -m {name}", description=description)
    parser.add_argument("--config", metavar="PATH", help=f"settings file (default: ${CONFIG_ENV})")
    parser.add_argument(
        "--validate-config", action="store_true", help="check the settings and exit"
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings(args.config)
    except ConfigError as error:
        print(f"{name}: invalid settings:\n{error}", file=sys.stderr)
        return EXIT_INVALID_SETTINGS
    if args.validate_config:
        print(f"settings OK: {settings.config_path or 'built-in defaults'}")
        return 0
    setup_logging(settings)
    name_connections(name)
    try:
        return serve(settings)
    except UNREACHABLE_ERRORS as error:
        logger.critical(
            "%s stopped: the catalog cannot be used: %s", name, unreachable_reason(error)
        )
        return EXIT_CATALOG_UNREACHABLE
