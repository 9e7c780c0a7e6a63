"""alarmvault check-config / init-config."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cli import CommandLine, Context
from core.catalog.engine import (
    UNREACHABLE_ERRORS,
    catalog_password_warning,
    connect,
    is_postgresql_url,
    unreachable_reason,
)
from core.legacy_crypto import legacy_crypto_warnings
from core.mail_links import mail_link_warning
from core.media_store import unshared_media_warning
from core.proxy_hint import proxy_warning
from core.service import EXIT_CATALOG_UNREACHABLE
from core.settings import load_settings

DEV_CONFIG = """\
# AlarmVault development settings, written by `make run`. See config/alarmvault.example.toml.
[storage]
data_dir = "."

[ftp]
listen = "127.0.0.1:2121"
passive_ports = "30000-30099"

[sftp]
listen = "127.0.0.1:2222"

[web]
listen = "127.0.0.1:8080"
"""


def register(cli: CommandLine) -> None:
    parser = cli.command(
        "check-config",
        check_config,
        "validate the settings file, check that the catalog can be used, and exit",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        help="check the settings alone: no connection to a PostgreSQL catalog, no look at the "
        "catalog folder (CI, configuration management)",
    )
    parser = cli.command("init-config", init_config, "write a development settings file")
    parser.add_argument("path", type=Path, help="where to write it (kept if it exists)")


def check_config(args: argparse.Namespace, context: Context) -> int:
    # Invalid settings raise ConfigError: `cli.main` reports it as the services do (exit 2).
    settings = load_settings(args.config)
    where = settings.config_path or "built-in defaults"
    print(f"settings OK: {where}")
    for warning in (
        mail_link_warning(settings),
        proxy_warning(settings),
        unshared_media_warning(settings.storage),
        catalog_password_warning(settings.storage.catalog_path),
        *legacy_crypto_warnings(settings),
    ):
        if warning:
            print(f"warning: {warning}")
    if args.offline:
        return 0
    problem = catalog_problem(settings.storage.catalog_path)
    if problem:
        print(f"alarmvault: the catalog cannot be used: {problem}", file=sys.stderr)
        return EXIT_CATALOG_UNREACHABLE
    print(
        "catalog OK: PostgreSQL answered"
        if is_postgresql_url(settings.storage.catalog_path)
        else f"catalog OK: {settings.storage.catalog_path}"
    )
    return 0


def catalog_problem(catalog: Path | str) -> str | None:
    """Why the services could not use ``catalog``, in one line without the password; None when
    they can. A PostgreSQL catalog gets a real connection (the services' connect timeout, the
    same password sources) and ``SELECT 1``; for a SQLite file, this user must be able to write
    its folder (SQLite writes its journal beside the file) and the file, or make the folder."""
    if is_postgresql_url(catalog):
        try:
            with connect(str(catalog)) as conn:
                conn.execute("SELECT 1")
        except UNREACHABLE_ERRORS as error:
            return unreachable_reason(error)
        return None
    path = Path(catalog)
    folder = path.parent
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if not existing.is_dir():
        return f"the catalog folder {folder} cannot be made: {existing} is not a folder"
    if not os.access(existing, os.W_OK | os.X_OK):
        made = "" if existing == folder else f" (to make {folder})"
        return f"the folder {existing} is not writable by the user running this command{made}"
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return f"the catalog file {path} is not writable by the user running this command"
    return None


def init_config(args: argparse.Namespace, context: Context) -> int:
    path: Path = args.path
    if path.exists():
        print(f"{path} exists, kept")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DEV_CONFIG, encoding="utf-8")
    print(f"wrote {path}")
    return 0
