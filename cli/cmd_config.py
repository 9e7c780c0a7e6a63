"""alarmvault check-config / init-config."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli import CommandError, CommandLine, Context
from core.catalog.engine import catalog_password_warning
from core.legacy_crypto import legacy_crypto_warnings
from core.mail_links import mail_link_warning
from core.media_store import unshared_media_warning
from core.proxy_hint import proxy_warning
from core.settings import ConfigError, load_settings

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
    cli.command("check-config", check_config, "validate the settings file and exit")
    parser = cli.command("init-config", init_config, "write a development settings file")
    parser.add_argument("path", type=Path, help="where to write it (kept if it exists)")


def check_config(args: argparse.Namespace, context: Context) -> int:
    try:
        settings = load_settings(args.config)
    except ConfigError as error:
        raise CommandError(f"invalid settings:\n{error}") from None
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
    return 0


def init_config(args: argparse.Namespace, context: Context) -> int:
    path: Path = args.path
    if path.exists():
        print(f"{path} exists, kept")
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DEV_CONFIG, encoding="utf-8")
    print(f"wrote {path}")
    return 0
