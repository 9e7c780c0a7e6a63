"""Numbered schema migrations.

Each module ``mNNNN_name.py`` has ``apply(db)``. They run in number order, each inside the same
transaction as the row in ``_migrations`` that records it, so a crash never leaves a migration
half-applied or applied-but-unrecorded.

A module that rebuilds a table (new table, copy, drop, rename: SQLite's recipe for changes
ALTER TABLE cannot make) sets ``REBUILDS_TABLES = True``: it then runs with foreign keys off,
as that recipe requires, because dropping the old table with them on would cascade-delete
every row that points at it. Before the commit, no foreign key may be broken that was whole.

On PostgreSQL the same modules run (their DDL translated by `core.catalog.engine`), in one
transaction each as well: PostgreSQL's DDL is transactional. The rebuild recipe is SQLite's;
a rebuilding migration says itself what it needs there (often nothing: ALTER TABLE can).
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re

import sqlite_utils

from core.catalog import Dialect, atomic, dialect_of, utcnow

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^m(?P<number>\d{4})_(?P<name>\w+)$")


def available_migrations() -> list[tuple[int, str]]:
    """(number, module name) of every migration module, sorted by number."""
    found = []
    for module in pkgutil.iter_modules(__path__):
        match = _NAME.match(module.name)
        if match:
            found.append((int(match["number"]), module.name))
    numbers = [number for number, _ in found]
    if len(numbers) != len(set(numbers)):
        raise RuntimeError(f"two migrations share a number: {sorted(found)}")
    return sorted(found)


def applied_migrations(db: sqlite_utils.Database) -> set[int]:
    if "_migrations" not in db.table_names():
        return set()
    return {row["number"] for row in db.query("SELECT number FROM _migrations")}


def apply_migrations(db: sqlite_utils.Database) -> list[int]:
    """Apply every migration not yet recorded; returns the numbers applied."""
    # Under the write lock: services starting together on PostgreSQL would otherwise race
    # to create the table (IF NOT EXISTS does not make that safe there).
    with atomic(db):
        db.execute(
            "CREATE TABLE IF NOT EXISTS _migrations ("
            " number INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
    done = applied_migrations(db)
    applied = []
    for number, module_name in available_migrations():
        if number in done:
            continue
        module = importlib.import_module(f"{__name__}.{module_name}")
        rebuilds = getattr(module, "REBUILDS_TABLES", False) and (dialect_of(db) is Dialect.SQLITE)
        if rebuilds:
            # Only takes effect outside a transaction, so it is set before `atomic`.
            db.execute("PRAGMA foreign_keys = OFF")
        try:
            with atomic(db):
                # Another process may have applied it while we waited for the write lock.
                if db.execute("SELECT 1 FROM _migrations WHERE number = ?", [number]).fetchone():
                    continue
                broken_before = _broken_foreign_keys(db) if rebuilds else set()
                module.apply(db)
                if rebuilds and _broken_foreign_keys(db) - broken_before:
                    raise RuntimeError(f"migration {module_name} would break foreign keys")
                db.execute(
                    "INSERT INTO _migrations (number, name, applied_at) VALUES (?, ?, ?)",
                    [number, module_name, utcnow()],
                )
        finally:
            if rebuilds:
                db.execute("PRAGMA foreign_keys = ON")
        logger.info("catalog migration applied: %s", module_name)
        applied.append(number)
    return applied


def _broken_foreign_keys(db: sqlite_utils.Database) -> set[tuple[object, ...]]:
    """(table, rowid, parent table, key number) of every row whose foreign key points nowhere."""
    return {tuple(row) for row in db.execute("PRAGMA foreign_key_check").fetchall()}
