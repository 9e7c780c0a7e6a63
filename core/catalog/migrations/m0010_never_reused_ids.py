"""Camera and user ids are never given out twice (AUTOINCREMENT).

Without it SQLite hands the highest id out again once its row is deleted: an upload still
waiting in the spool for deleted camera 4 would be filed under the next camera 4, another
customer's. The tables are rebuilt from their own stored definitions (so columns added by
earlier migrations come along) keeping every row and id; `sqlite_sequence` starts at the
highest id in use.

On PostgreSQL every such key is an identity column from the start, which never reuses an id.
"""

import re

import sqlite_utils

from core.catalog import Dialect, dialect_of

REBUILDS_TABLES = True
TABLES = ("users", "cameras")

_ROWID_KEY = re.compile(r"\bid\s+INTEGER\s+PRIMARY\s+KEY\b(?!\s+AUTOINCREMENT)", re.IGNORECASE)


def apply(db: sqlite_utils.Database) -> None:
    if dialect_of(db) is Dialect.POSTGRESQL:
        return
    for table in TABLES:
        rebuild_with_autoincrement(db, table)


def rebuild_with_autoincrement(db: sqlite_utils.Database, table: str) -> None:
    definition = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]
    ).fetchone()[0]
    if "AUTOINCREMENT" in definition.upper():
        return
    rebuilt = f"{table}_rebuilt"
    definition, keys = _ROWID_KEY.subn("id INTEGER PRIMARY KEY AUTOINCREMENT", definition, count=1)
    definition, names = re.subn(
        rf"^CREATE TABLE\s+[\"\[`]?{table}[\"\]`]?", f"CREATE TABLE {rebuilt}", definition, count=1
    )
    if keys != 1 or names != 1:
        raise RuntimeError(f"unexpected definition of table {table}")
    # Indexes and triggers go with the old table; their stored SQL makes them again.
    dependents = [
        row[0]
        for row in db.execute(
            "SELECT sql FROM sqlite_master"
            " WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL",
            [table],
        )
    ]
    columns = ", ".join(f'"{column.name}"' for column in db[table].columns)
    db.execute(definition)
    db.execute(f"INSERT INTO {rebuilt} ({columns}) SELECT {columns} FROM {table}")  # noqa: S608
    db.execute(f"DROP TABLE {table}")
    db.execute(f"ALTER TABLE {rebuilt} RENAME TO {table}")
    for statement in dependents:
        db.execute(statement)
