"""The catalog on PostgreSQL, behind the interface the catalog modules already use.

Every catalog module is written against sqlite-utils (``db.execute``, ``db.query``,
``db.table(name).insert``, ``db.table_names()``) with SQLite's SQL. `PostgresCatalog` offers
that same interface on a psycopg 3 connection, so one module serves both engines and no query
is written twice. The few SQLite-only constructs are translated here, once, when a statement is
first run (then cached): ``?`` placeholders, ``INSERT OR IGNORE``, ``last_insert_rowid()``,
``group_concat``, ``IS [NOT] ?``, ``[name]`` quoting, and in DDL the column types
(``INTEGER PRIMARY KEY`` becomes an identity column that never hands an id out twice,
``INTEGER`` 64-bit, ``REAL`` double precision). SQLite's ``julianday`` and a case-insensitive
``nocase`` collation are created in the database by `prepare_database`, so time arithmetic
and e-mail uniqueness read the same on both engines.

A process that opens the catalog for short uses (each web request, a scheduled job) borrows a
connection from its `ConnectionPool` (`catalog_pool`, ``[storage] catalog_pool_size``) instead
of having PostgreSQL fork a backend each time; `PostgresCatalog.close` gives it back, clean:
no transaction left open, no session-level advisory lock (`cluster_lock`) carried over to the
next user. A pooled connection is tried before it is handed out, so one that died with its
server (a restart, a failover) is replaced, never handed out.

Transactions keep SQLite's rule of one writer at a time: `atomic` on PostgreSQL takes a
transaction-scoped advisory lock, so every read-modify-write written for SQLite's
``BEGIN IMMEDIATE`` stays correct between nodes. A job claim (``FOR UPDATE SKIP LOCKED``)
takes its own row locks instead, one statement in autocommit; a single-row UPDATE standing
alone (`PostgresCatalog.update_alone`) takes the writer lock inside the statement
(`writer_locked`): one round trip instead of four. `concurrent_transaction` is a transaction
without the lock (read snapshots).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import select
import socket
import sqlite3
import threading
from collections.abc import Generator, Iterable, Iterator, Sequence
from enum import StrEnum
from functools import lru_cache
from typing import Any

import psycopg
import psycopg.adapt
import psycopg.rows
import sqlite_utils
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool
from sqlite_utils.db import Column, Table

from core.credentials import credential_file

__all__ = [
    "DATABASE_ERRORS",
    "INTEGRITY_ERRORS",
    "Dialect",
    "PostgresCatalog",
    "catalog_pool",
    "close_catalog_pools",
    "cluster_lock",
    "connection_lost",
    "dialect_of",
    "error_reason",
    "is_postgresql_url",
    "server_hung_up",
    "skip_locked",
    "to_postgresql",
    "writer_locked",
]

# systemd credential holding the catalog user's password (``LoadCredential=catalog_password``).
CREDENTIAL_CATALOG_PASSWORD = "catalog_password"  # noqa: S105 - a file name

# How long a connection attempt waits for the server unless the URL (``connect_timeout``) or
# ``PGCONNECT_TIMEOUT`` says otherwise: without one, libpq waits as long as the operating
# system's TCP connect does (minutes) for a host that does not answer.
CONNECT_TIMEOUT_S = 5

# The advisory lock every catalog write transaction holds on PostgreSQL (SQLite's write lock).
WRITER_LOCK_KEY = 0x416C_5661_756C_7401  # "AlVault" + 1

# How long a borrower waits for a pooled connection when all are lent (then PoolTimeout, one of
# the DATABASE_ERRORS): a web request answers "catalog unavailable" rather than hang.
POOL_WAIT_S = 10.0

# Both engines' "a UNIQUE / FOREIGN KEY / CHECK constraint said no".
INTEGRITY_ERRORS: tuple[type[Exception], ...] = (sqlite3.IntegrityError, psycopg.IntegrityError)
# Both engines' "the catalog failed" (unreachable, locked, refused).
DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, psycopg.Error)
# The catalog's server cannot be used at all: unreachable, refusing the login, gone (a pool
# that waited in vain raises one too). A process that meets one at start-up cannot go on.
UNREACHABLE_ERRORS: tuple[type[Exception], ...] = (psycopg.OperationalError,)


class Dialect(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


def is_postgresql_url(target: object) -> bool:
    return str(target).startswith(("postgresql://", "postgres://"))


def dialect_of(db: sqlite_utils.Database) -> Dialect:
    return Dialect.POSTGRESQL if isinstance(db, PostgresCatalog) else Dialect.SQLITE


def error_reason(error: BaseException) -> str:
    """A database error in one log line (psycopg's messages run over several)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def unreachable_reason(error: BaseException) -> str:
    """Why the catalog cannot be used, for the operator who starts a service or command: the
    server's one-line reason and, when it is about the password, where AlarmVault takes one
    from (libpq's own message names none of them)."""
    reason = error_reason(error)
    if "password" in reason:
        reason += (
            f"; give the catalog user's password as the credential {CREDENTIAL_CATALOG_PASSWORD}"
            " ($CREDENTIALS_DIRECTORY/catalog_password), PGPASSWORD or ~/.pgpass"
        )
    return reason


def connection_lost(db: sqlite_utils.Database) -> bool:
    """Whether ``db`` lost its server (PostgreSQL restarted or unreachable) and must be opened
    again; a SQLite file is never lost."""
    return isinstance(db, PostgresCatalog) and (db.pg.closed or db.pg.broken)


def server_hung_up(db: sqlite_utils.Database) -> bool:
    """Whether the server of an idle PostgreSQL connection has closed it meanwhile (a restart,
    a failover, a session it ended): asked before a statement is sent, so that statement goes
    over a new connection instead of failing the caller (a camera's login, a web request).

    An idle connection's socket has nothing to read unless the server said something
    unasked, which is almost always that it is gone; only then is the connection asked
    (``SELECT 1``), so a message that was not a goodbye keeps it. One ``select`` otherwise."""
    if not isinstance(db, PostgresCatalog) or db.pg.closed or db.pg.broken or db.in_transaction:
        return False
    try:
        readable, _, _ = select.select([db.pg.fileno()], [], [], 0)
        if readable:
            db.pg.execute("SELECT 1")
    except (OSError, ValueError, psycopg.Error):
        return True
    return False


def skip_locked(db: sqlite_utils.Database) -> str:
    """The end of a ``SELECT`` whose rows a transaction takes for itself: on PostgreSQL rows
    another transaction holds are passed over; SQLite has one writer, so nothing to add."""
    return " FOR UPDATE SKIP LOCKED" if isinstance(db, PostgresCatalog) else ""


@contextlib.contextmanager
def cluster_lock(db: sqlite_utils.Database, name: str) -> Iterator[bool]:
    """Whether this process holds the catalog-wide lock ``name`` (never waits for it).

    On PostgreSQL an advisory lock of this connection's session: every node's scheduler asks,
    one gets it, and a node that dies loses it with its connection. A SQLite catalog serves one
    node, whose one scheduler thread runs one job at a time: the lock is always its own.
    """
    if not isinstance(db, PostgresCatalog):
        yield True
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    (held,) = db.pg.execute("SELECT pg_try_advisory_lock(%s)", [key]).fetchone() or (False,)
    try:
        yield bool(held)
    finally:
        if held:
            db.pg.execute("SELECT pg_advisory_unlock(%s)", [key])


def writer_locked(sql: str) -> str:
    """``UPDATE … WHERE conditions`` (PostgreSQL's SQL) that takes the catalog's writer lock
    itself: the added condition reads no row, so PostgreSQL evaluates it once, before the
    statement reads any (a one-time filter), and the lock is held until the statement's
    transaction commits. In autocommit that is one round trip where `PostgresCatalog.atomic`
    needs four, and the lock is held for the statement's own work only."""
    head, where, conditions = sql.rpartition(" WHERE ")
    if not where:
        raise ValueError("writer_locked needs an UPDATE … WHERE statement")
    return (
        f"{head} WHERE ({conditions})"
        f" AND (SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})) IS NOT NULL"
    )


# -- SQL translation ---------------------------------------------------------------------------

_DDL = re.compile(r"^\s*(CREATE\s+TABLE|ALTER\s+TABLE)\b", re.IGNORECASE)
_ROWID_KEY = re.compile(
    r"\b(\w+)\s+INTEGER\s+PRIMARY\s+KEY(\s+AUTOINCREMENT)?\b(?!\s+REFERENCES)",
    re.IGNORECASE,
)
_INSERT_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)
_GROUP_CONCAT = re.compile(
    r"\bgroup_concat\(\s*(DISTINCT\s+)?([^(),]+?)\s*(?:,\s*('[^']*'))?\s*\)", re.IGNORECASE
)
_IS_PARAMETER = re.compile(r"\bIS\s+(NOT\s+)?\?", re.IGNORECASE)


def _rowid_key(match: re.Match[str]) -> str:
    # SQLite's rowid alias: an id the database assigns. Identity columns never reuse an id
    # (what AUTOINCREMENT guarantees on SQLite); BY DEFAULT lets a migration copy keep its ids.
    return f"{match[1]} BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"


def _translate_ddl(sql: str) -> str:
    sql = re.sub(r"\s*\bAUTOINCREMENT\b", "", _ROWID_KEY.sub(_rowid_key, sql), flags=re.IGNORECASE)
    sql = re.sub(r"\bINTEGER\b", "BIGINT", sql, flags=re.IGNORECASE)
    return re.sub(r"\bREAL\b", "DOUBLE PRECISION", sql, flags=re.IGNORECASE)


def _group_concat(match: re.Match[str]) -> str:
    distinct = "DISTINCT " if match[1] else ""
    separator = match[3] or "','"
    return f"string_agg({distinct}CAST({match[2]} AS TEXT), {separator})"


@lru_cache(maxsize=4096)
def to_postgresql(sql: str) -> str:
    """``sql`` written for SQLite as PostgreSQL runs it (``%s`` placeholders, ``%`` doubled)."""
    if _DDL.match(sql):
        sql = _translate_ddl(sql)
    if _INSERT_OR_IGNORE.match(sql):
        sql = _INSERT_OR_IGNORE.sub("INSERT INTO", sql, count=1)
        returning = _RETURNING.search(sql)
        at = returning.start() if returning else len(sql.rstrip().rstrip(";"))
        sql = f"{sql[:at].rstrip()} ON CONFLICT DO NOTHING {sql[at:]}".rstrip()
    sql = re.sub(r"\blast_insert_rowid\(\)", "lastval()", sql, flags=re.IGNORECASE)
    sql = _GROUP_CONCAT.sub(_group_concat, sql)
    sql = _IS_PARAMETER.sub(
        lambda match: "IS DISTINCT FROM ?" if match[1] else "IS NOT DISTINCT FROM ?", sql
    )
    return _placeholders(sql)


def _placeholders(sql: str) -> str:
    """``?`` → ``%s`` and ``%`` → ``%%`` outside string literals; ``[name]`` → ``"name"``."""
    out: list[str] = []
    quote: str | None = None
    for char in sql:
        if quote:
            if char == quote:
                quote = None
            out.append("%%" if char == "%" else char)
            if quote is None and char == "]":
                out[-1] = '"'
            continue
        if char in "'\"":
            quote = char
            out.append(char)
        elif char == "[" and not (out and (out[-1][-1].isalnum() or out[-1][-1] in "_)")):
            quote = "]"  # SQLite's [name] quoting; name[1] is an array subscript
            out.append('"')
        elif char == "?":
            out.append("%s")
        elif char == "%":
            out.append("%%")
        else:
            out.append(char)
    return "".join(out)


# -- the connection ----------------------------------------------------------------------------


class _NumberLoader(psycopg.adapt.Loader):
    """NUMERIC (what sum() of a BIGINT and avg() return) as int or float, like SQLite gives."""

    def load(self, data: bytes | bytearray | memoryview) -> int | float:
        text = bytes(data).decode()
        return float(text) if any(c in text for c in ".eEN") else int(text)


def _connection_options(url: str) -> dict[str, Any]:
    """How to connect to ``url``: autocommit (transactions are explicit, as on SQLite); the
    password, unless the URL has one, from the credentials directory (systemd
    ``LoadCredential=catalog_password``), else libpq's ``PGPASSWORD``/``.pgpass``. An attempt
    gives up after `CONNECT_TIMEOUT_S` unless the URL or ``PGCONNECT_TIMEOUT`` sets one."""
    given = conninfo_to_dict(url)  # a URL or "key=value" connection string
    options: dict[str, Any] = {"autocommit": True}
    secret = credential_file(CREDENTIAL_CATALOG_PASSWORD)
    if secret and not given.get("password"):
        options["password"] = secret.read_text(encoding="utf-8").strip()
    if "connect_timeout" not in given and not os.environ.get("PGCONNECT_TIMEOUT"):
        options["connect_timeout"] = CONNECT_TIMEOUT_S
    return options


def name_connections(program: str) -> None:
    """Name this process's PostgreSQL connections ``alarmvault <program>@<host>`` in
    ``pg_stat_activity`` (libpq's ``PGAPPNAME``), so whoever runs the database sees which
    service on which node holds a session; an ``application_name`` in the URL, or
    ``PGAPPNAME`` set by the admin, stays."""
    name = f"alarmvault {program}@{socket.gethostname()}"
    os.environ.setdefault("PGAPPNAME", name[:63])  # the server keeps 63 bytes


def catalog_password_warning(url: str | os.PathLike[str]) -> str | None:
    """What ``check-config`` says about a PostgreSQL URL that holds the password: the file is
    read by every service and often kept in a repository. Still accepted (an earlier release
    took it); the credential is the place."""
    if not is_postgresql_url(url) or not conninfo_to_dict(str(url)).get("password"):
        return None
    return (
        "[storage] catalog holds the database password: the settings file is no place for it. "
        "Give it as the systemd credential catalog_password, PGPASSWORD or ~/.pgpass, and take "
        "it out of the URL (docs/cluster.md)."
    )


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.adapters.register_loader("numeric", _NumberLoader)


def connect(url: str) -> psycopg.Connection[Any]:
    """A connection of its own to ``url``."""
    conn = psycopg.connect(url, **_connection_options(url))
    _configure(conn)
    return conn


def _reset(conn: psycopg.Connection[Any]) -> None:
    """A connection given back to the pool, made as a new one would be for the next user.
    The pool has rolled back a transaction left open (and drops a connection whose state is
    unknown or broken); what a transaction's end does not release is a session-level advisory
    lock (`cluster_lock` on an exception path it did not reach) and a ``SET`` of the session."""
    conn.execute("RESET ALL; SELECT pg_advisory_unlock_all()")


# One pool per catalog URL and process: a pool's connections and threads do not survive a fork.
_pools: dict[tuple[str, int], ConnectionPool] = {}
_pools_lock = threading.Lock()


def catalog_pool(url: str, size: int) -> ConnectionPool:
    """This process's pool of at most ``size`` connections to ``url`` (the first caller's size
    holds for the process), opened on first use with one connection; more are opened as
    borrowers need them and closed again after ten idle minutes."""
    key = (url, os.getpid())
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None or pool.closed:
            pool = ConnectionPool(
                url,
                kwargs=_connection_options(url),
                min_size=1,
                max_size=size,
                configure=_configure,
                check=ConnectionPool.check_connection,
                reset=_reset,
                timeout=POOL_WAIT_S,
                name=f"catalog-{len(_pools) + 1}",
                open=True,
            )
            _pools[key] = pool
    return pool


def close_catalog_pools() -> None:
    """Close this process's pools (their connections and threads): at exit, and in tests."""
    with _pools_lock:
        mine = [key for key in _pools if key[1] == os.getpid()]
        pools = [_pools.pop(key) for key in mine]
    for pool in pools:
        pool.close()


class PostgresTable(Table):
    """The part of sqlite-utils' Table the catalog uses, on PostgreSQL."""

    db: PostgresCatalog

    def exists(self) -> bool:
        return self.name in self.db.table_names()

    @property
    def columns(self) -> list[Column]:
        rows = self.db.execute(
            "SELECT c.ordinal_position - 1, c.column_name, c.data_type,"
            " c.is_nullable = 'NO', c.column_default,"
            " EXISTS (SELECT 1 FROM information_schema.key_column_usage k"
            "  JOIN information_schema.table_constraints t"
            "   ON t.constraint_name = k.constraint_name AND t.table_schema = k.table_schema"
            "  WHERE t.constraint_type = 'PRIMARY KEY' AND k.table_name = c.table_name"
            "   AND k.table_schema = c.table_schema AND k.column_name = c.column_name)"
            " FROM information_schema.columns c"
            " WHERE c.table_schema = current_schema() AND c.table_name = ?"
            " ORDER BY c.ordinal_position",
            [self.name],
        ).fetchall()
        return [Column(*row) for row in rows]

    @property
    def columns_dict(self) -> dict[str, Any]:
        kinds = {"bigint": int, "integer": int, "double precision": float, "real": float}
        return {column.name: kinds.get(column.type, str) for column in self.columns}

    def insert(self, record: dict[str, Any], *args: Any, **kwargs: Any) -> PostgresTable:
        return self.insert_all([record], *args, **kwargs)

    def insert_all(  # type: ignore[override] # rows as dicts only
        self, records: Iterable[dict[str, Any]], *args: Any, **kwargs: Any
    ) -> PostgresTable:
        if args or kwargs:
            raise NotImplementedError("insert options are not supported on PostgreSQL")
        for record in records:
            columns = ", ".join(f'"{name}"' for name in record)
            marks = ", ".join("?" for _ in record)
            self.db.execute(
                f'INSERT INTO "{self.name}" ({columns}) VALUES ({marks})',  # noqa: S608 - our names
                list(record.values()),
            )
        return self


class PostgresCatalog(sqlite_utils.Database):
    """The catalog on a PostgreSQL database, with the methods of sqlite-utils' Database that
    the catalog modules call. Anything else of sqlite-utils raises rather than touching a
    SQLite connection that does not exist."""

    def __init__(self, url: str, pool: ConnectionPool | None = None) -> None:
        """A connection of its own to ``url``, or one borrowed from ``pool`` until `close`."""
        self.url = url
        self._pool = pool
        self._given_back = False
        self.pg = pool.getconn() if pool is not None else connect(url)
        self._tracer = None
        self._use_counts_table = False
        self._registered_functions: set[tuple[str, int]] = set()

    def __getattribute__(self, name: str) -> Any:
        if name in _SQLITE_ONLY:
            raise NotImplementedError(f"sqlite-utils' {name} is not available on PostgreSQL")
        return super().__getattribute__(name)

    def __repr__(self) -> str:
        return f"<PostgresCatalog {self.pg.info.dbname}@{self.pg.info.host}>"

    def close(self) -> None:
        """Close the connection, or give a borrowed one back to its pool (once)."""
        if self._pool is None:
            self.pg.close()
        elif not self._given_back:
            self._given_back = True
            self._pool.putconn(self.pg)

    def execute(  # type: ignore[override] # a psycopg cursor, used like sqlite3's
        self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None
    ) -> psycopg.Cursor[Any]:
        return self.pg.execute(to_postgresql(sql), _storable(parameters))

    def executescript(self, sql: str) -> psycopg.Cursor[Any]:  # type: ignore[override]
        cursor = self.pg.cursor()
        for statement in sql.split(";\n"):
            if statement.strip():
                cursor.execute(to_postgresql(statement), [])
        return cursor

    def query(
        self, sql: str, params: Iterable[Any] | dict[str, Any] | None = None
    ) -> Generator[dict[str, Any], None, None]:
        cursor = self.pg.cursor(row_factory=psycopg.rows.dict_row)
        cursor.execute(to_postgresql(sql), _storable(params))
        yield from cursor

    def table(self, table_name: str, **kwargs: Any) -> PostgresTable:
        return PostgresTable(self, table_name, **kwargs)

    def __getitem__(self, table_name: str) -> PostgresTable:
        return self.table(table_name)

    def table_names(self, fts4: bool = False, fts5: bool = False) -> list[str]:
        return [
            row[0]
            for row in self.pg.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                " ORDER BY table_name"
            )
        ]

    @property
    def in_transaction(self) -> bool:
        return self.pg.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    @contextlib.contextmanager
    def atomic(self) -> Iterator[PostgresCatalog]:
        """One write transaction at a time across every node, as on SQLite; nested calls are
        savepoints."""
        outermost = not self.in_transaction
        with self.pg.transaction():
            if outermost:
                self.pg.execute("SELECT pg_advisory_xact_lock(%s)", [WRITER_LOCK_KEY])
            yield self

    def update_alone(
        self, sql: str, parameters: Sequence[Any] | None = None
    ) -> psycopg.Cursor[Any]:
        """``sql`` (an ``UPDATE … WHERE``) as a write transaction of its own: outside a
        transaction one statement that takes the writer lock itself (`writer_locked`);
        inside one, a statement of that transaction, which holds the lock already."""
        if self.in_transaction:
            with self.atomic():
                return self.execute(sql, parameters)
        return self.pg.execute(writer_locked(to_postgresql(sql)), _storable(parameters))

    @contextlib.contextmanager
    def concurrent_transaction(self) -> Iterator[PostgresCatalog]:
        """A transaction without the writer lock, for statements that lock their own rows."""
        with self.pg.transaction():
            yield self


def _storable(parameters: Iterable[Any] | dict[str, Any] | None) -> list[Any]:
    """The bound values; text with a NUL character is bad input (ValueError, which callers
    answer as such): PostgreSQL cannot store it, where SQLite would."""
    values = list(parameters or [])
    for value in values:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("text must not contain NUL characters")
    return values


# sqlite-utils methods that would act on a SQLite connection: refused on PostgreSQL.
_SQLITE_ONLY = frozenset(
    {
        "conn",
        "enable_wal",
        "disable_wal",
        "vacuum",
        "analyze",
        "register_function",
        "attach",
        "create_table",
        "create_view",
        "views",
        "view",
        "schema",
        "supports_strict",
        "sqlite_version",
        "journal_mode",
        "init_spatialite",
        "enable_fts",
        "rebuild_fts",
    }
)


PREPARE_STATEMENTS = (
    # A case-insensitive comparison like SQLite's COLLATE NOCASE (e-mail addresses).
    "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'nocase') THEN"
    " CREATE COLLATION nocase (provider = icu, locale = 'und-u-ks-level2',"
    " deterministic = false); END IF; END $$",
    # SQLite's julianday() for the catalog's ISO 8601 text times, and 'now' with a modifier.
    "CREATE OR REPLACE FUNCTION julianday(moment TEXT) RETURNS DOUBLE PRECISION"
    " LANGUAGE sql STABLE AS"
    " $$ SELECT extract(epoch FROM CAST(moment AS timestamptz)) / 86400.0 + 2440587.5 $$",
    "CREATE OR REPLACE FUNCTION julianday(moment TEXT, modifier TEXT) RETURNS DOUBLE PRECISION"
    " LANGUAGE sql STABLE AS $$ SELECT extract(epoch FROM CAST(moment AS timestamptz)"
    " + CAST(modifier AS interval)) / 86400.0 + 2440587.5 $$",
)


def prepare_database(db: PostgresCatalog) -> None:
    """What PostgreSQL needs before the migrations: SQLite's functions the catalog uses."""
    with db.atomic():
        for statement in PREPARE_STATEMENTS:
            db.pg.execute(statement)
