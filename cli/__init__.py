"""The `alarmvault` admin command.

Each ``cmd_*.py`` module in this package adds its subcommands through ``register(cli)``;
a command group (``camera``, ``user`` …) may be extended by several modules.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from collections.abc import Callable, Sequence
from typing import Any

import sqlite_utils

from core.catalog import open_catalog
from core.catalog.engine import UNREACHABLE_ERRORS, name_connections, unreachable_reason
from core.service import EXIT_CATALOG_UNREACHABLE, EXIT_INVALID_SETTINGS
from core.settings import ConfigError, Settings, load_settings

Handler = Callable[[argparse.Namespace, "Context"], int | None]


class CommandError(Exception):
    """A command failed for a reason the admin can act on; printed without a traceback."""


class Context:
    """What a command handler gets: the settings (loaded on first use) and the catalog."""

    def __init__(self, config_path: str | None) -> None:
        self._config_path = config_path
        self._settings: Settings | None = None
        self._db: sqlite_utils.Database | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self._config_path)
        return self._settings

    @property
    def db(self) -> sqlite_utils.Database:
        if self._db is None:
            self._db = open_catalog(self.settings.storage.catalog_path)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


class CommandLine:
    """Builds the argument parser; modules add groups and commands to it."""

    def __init__(self) -> None:
        self.parser = argparse.ArgumentParser(
            prog="alarmvault", description="AlarmVault: alarm-video server for IP cameras."
        )
        self.parser.add_argument(
            "--config",
            metavar="PATH",
            help="settings file (default: $ALARMVAULT_CONFIG, else built-in defaults)",
        )
        self._top = self.parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
        self._groups: dict[str, argparse._SubParsersAction] = {}

    def command(self, name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
        parser = self._top.add_parser(name, help=help, description=help)
        parser.set_defaults(handler=handler)
        return parser

    def group(self, name: str, help: str) -> argparse._SubParsersAction:
        if name not in self._groups:
            parser = self._top.add_parser(name, help=help, description=help)
            self._groups[name] = parser.add_subparsers(
                dest=f"{name}_command", metavar="SUBCOMMAND", required=True
            )
        return self._groups[name]

    def subcommand(
        self, group: str, name: str, handler: Handler, help: str, group_help: str = ""
    ) -> argparse.ArgumentParser:
        parser = self.group(group, group_help or f"{group} commands").add_parser(
            name, help=help, description=help
        )
        parser.set_defaults(handler=handler)
        return parser


def build_parser() -> argparse.ArgumentParser:
    cli = CommandLine()
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name.startswith("cmd_"):
            importlib.import_module(f"{__name__}.{module.name}").register(cli)
    return cli.parser


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, indent=2, sort_keys=True, default=str)
    sys.stdout.write("\n")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    name_connections("cli")
    context = Context(args.config)
    try:
        return int(args.handler(args, context) or 0)
    except ConfigError as error:
        print(f"alarmvault: invalid settings:\n{error}", file=sys.stderr)
        return EXIT_INVALID_SETTINGS
    except CommandError as error:
        print(f"alarmvault: {error}", file=sys.stderr)
        return 1
    except UNREACHABLE_ERRORS as error:
        print(
            f"alarmvault: the catalog cannot be used: {unreachable_reason(error)}", file=sys.stderr
        )
        return EXIT_CATALOG_UNREACHABLE
    except KeyboardInterrupt:
        return 130
    finally:
        context.close()
