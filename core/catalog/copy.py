"""Moving a SQLite catalog into PostgreSQL: every table and row, ids kept.

The target is migrated to the same schema first and must hold no data; the copy is one
transaction there (a failure leaves it empty) and reads one snapshot of the source. Identity
sequences continue past the highest id ever given out (SQLite's ``sqlite_sequence`` remembers
ids of deleted rows too, and those must never come back), and the row count of every table is
compared before the commit.

ingestd's known camera logins (which address each camera logged in from lately) are no catalog
rows on SQLite: they live beside it, in ingestd's own file. PostgreSQL keeps them in the
catalog's ``known_camera_logins`` (`core.catalog.shared_limits`), so the caller passes the
unexpired ones in and they are added in the same transaction: after the move no camera is a
stranger to the per-address ban until it logs in again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import sqlite_utils

from core.catalog import CatalogError, atomic
from core.catalog.engine import PostgresCatalog
from core.catalog.migrations import applied_migrations

logger = logging.getLogger(__name__)

# Rows sent to PostgreSQL per COPY round; the source is read in the same steps.
BATCH_ROWS = 5_000
SKIPPED_TABLES = frozenset({"_migrations"})  # the target records its own migrations
# A target with rows in any of these holds someone's data: it is never written over.
DATA_TABLES = ("users", "cameras", "jobs", "recordings")


# One known camera login: (address, account digest, known until in wall-clock seconds).
KnownLogin = tuple[str, str, float]


@dataclass(frozen=True)
class CatalogCopy:
    rows: dict[str, int]  # per table of the source catalog, in copy order
    known_logins: int  # ingestd's known camera logins added from outside the catalog


def copy_catalog(
    source: sqlite_utils.Database,
    target: PostgresCatalog,
    known_logins: Sequence[KnownLogin] = (),
) -> CatalogCopy:
    """Copy every row of ``source`` into the empty, migrated ``target``, and ``known_logins``
    into its ``known_camera_logins``; all or nothing."""
    if applied_migrations(source) != applied_migrations(target):
        raise CatalogError("the two catalogs are at different migrations: open both first")
    tables = copy_order(source)
    missing = sorted(set(tables) - set(target.table_names()))
    if missing:
        raise CatalogError(f"the target has no table {', '.join(missing)}")
    with atomic(target):
        filled = [
            table
            for table in DATA_TABLES
            if target.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone()  # noqa: S608
        ]
        if filled:
            raise CatalogError(f"the target holds data already (in {', '.join(filled)})")
        # What the migrations seeded (e.g. notification watermarks) gives way to the source's.
        for table in reversed(tables):
            target.execute(f'DELETE FROM "{table}"')  # noqa: S608
        source.conn.execute("BEGIN")  # one snapshot of the source for the whole copy
        try:
            copied = {table: _copy_table(source, target, table) for table in tables}
            for table in tables:
                _continue_ids(source, target, table)
            _verify_counts(target, copied)
        finally:
            source.conn.execute("COMMIT")
        added = _add_known_logins(target, known_logins)
    return CatalogCopy(copied, added)


def copy_order(db: sqlite_utils.Database) -> list[str]:
    """The source's tables, each after the tables its foreign keys point at."""
    tables = sorted(
        name
        for name in db.table_names()
        if not name.startswith("sqlite_") and name not in SKIPPED_TABLES
    )
    parents = {
        table: {row[2] for row in db.execute(f"PRAGMA foreign_key_list([{table}])")} - {table}
        for table in tables
    }
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ready = [t for t in tables if t not in ordered and parents[t] <= set(ordered)]
        if not ready:
            raise CatalogError(
                f"foreign keys form a cycle among {sorted(set(tables) - set(ordered))}"
            )
        ordered.extend(ready)
    return ordered


def _rows(
    source: sqlite_utils.Database, table: str, columns: list[str]
) -> Iterator[tuple[object, ...]]:
    names = ", ".join(f'"{column}"' for column in columns)
    cursor = source.execute(f'SELECT {names} FROM "{table}" ORDER BY rowid')  # noqa: S608
    while batch := cursor.fetchmany(BATCH_ROWS):
        yield from batch


def _copy_table(source: sqlite_utils.Database, target: PostgresCatalog, table: str) -> int:
    wanted = set(target.table(table).columns_dict)
    columns = [column for column in source.table(table).columns_dict if column in wanted]
    names = ", ".join(f'"{column}"' for column in columns)
    count = 0
    with target.pg.cursor().copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
        for row in _rows(source, table, columns):
            copy.write_row(row)
            count += 1
    logger.info("catalog copy: %s %d rows", table, count)
    return count


def _continue_ids(source: sqlite_utils.Database, target: PostgresCatalog, table: str) -> None:
    """Set the table's identity sequence past every id the source ever gave out."""
    row = target.pg.execute(
        "SELECT a.attname, pg_get_serial_sequence(quote_ident(%s), a.attname)"
        " FROM pg_attribute a WHERE a.attrelid = CAST(quote_ident(%s) AS regclass)"
        " AND a.attidentity <> ''",
        [table, table],
    ).fetchone()
    if row is None:
        return
    column, sequence = row
    highest = source.execute(f'SELECT max("{column}") FROM "{table}"').fetchone()[0] or 0  # noqa: S608
    if "sqlite_sequence" in source.table_names():
        given = source.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", [table]).fetchone()
        highest = max(highest, given[0] if given else 0)
    if highest:
        target.pg.execute("SELECT setval(%s, %s)", [sequence, highest])


def _add_known_logins(target: PostgresCatalog, known_logins: Sequence[KnownLogin]) -> int:
    """Add the pairs the catalog does not know yet (the source's own table, unused on SQLite,
    wins a tie); how many were added."""
    added = 0
    for address, account, until in known_logins:
        added += target.pg.execute(
            "INSERT INTO known_camera_logins (address, account, known_until) VALUES (%s, %s, %s)"
            " ON CONFLICT (address, account) DO NOTHING",
            [address, account, until],
        ).rowcount
    logger.info("catalog copy: %d known camera logins added", added)
    return added


def _verify_counts(target: PostgresCatalog, copied: dict[str, int]) -> None:
    for table, count in copied.items():
        [(stored,)] = target.execute(f'SELECT count(*) FROM "{table}"').fetchall()  # noqa: S608
        if stored != count:
            raise CatalogError(f"{table}: {count} rows read but {stored} stored")
