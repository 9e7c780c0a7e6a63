"""alarmvault migrate-catalog --to postgresql://…: move the SQLite catalog into PostgreSQL."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from cli import CommandError, CommandLine, Context
from core.catalog import CatalogError, Dialect, dialect_of, open_catalog
from core.catalog.copy import copy_catalog
from core.catalog.engine import PostgresCatalog, is_postgresql_url
from ingestd.shared_state import shared_state_file, unexpired_known_logins


def register(cli: CommandLine) -> None:
    parser = cli.command(
        "migrate-catalog",
        migrate_catalog,
        "copy every row of the SQLite catalog into an empty PostgreSQL database, ids kept",
    )
    parser.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="postgresql://user@host/database (password: credential catalog_password, "
        "PGPASSWORD or ~/.pgpass)",
    )


def migrate_catalog(args: argparse.Namespace, context: Context) -> int:
    if not is_postgresql_url(args.to):
        raise CommandError("--to must be a postgresql:// URL")
    catalog = context.settings.storage.catalog_path
    if not is_postgresql_url(catalog) and not Path(catalog).is_file():
        # Opening it would make a new, empty catalog and copy that: a forgotten --config
        # would "succeed" with nothing moved.
        raise CommandError(
            f"there is no SQLite catalog at {catalog}: name the settings of the install to move "
            "with --config (or ALARMVAULT_CONFIG)"
        )
    source = context.db
    if dialect_of(source) is not Dialect.SQLITE:
        raise CommandError("the catalog in the settings is not a SQLite file")
    target = open_catalog(args.to)
    if not isinstance(target, PostgresCatalog):
        raise CommandError("--to must be a postgresql:// URL")
    # ingestd keeps these beside a SQLite catalog; PostgreSQL keeps them in the catalog.
    known_logins_file = shared_state_file(context.settings)
    known_logins = unexpired_known_logins(known_logins_file, time.time())
    try:
        copied = copy_catalog(source, target, known_logins)
    except CatalogError as error:
        raise CommandError(f"nothing was copied: {error}") from None
    finally:
        target.close()
    for table, rows in copied.rows.items():
        print(f"{table}: {rows} rows")
    # Cameras known to log in from an address stay known: the ban's address cap spares them.
    print(f"known camera logins: {copied.known_logins} added from {known_logins_file}")
    total = sum(copied.rows.values())
    print(
        f"copied {total} rows in {len(copied.rows)} tables; every count verified."
        ' Now set [storage] catalog = "<the URL>" on every node and start the services.'
    )
    return 0
