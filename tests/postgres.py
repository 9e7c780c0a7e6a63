"""A real PostgreSQL server for the tests: Debian's ``postgresql`` package, a cluster made by
initdb in a temp folder, run as an unprivileged user (the server refuses to run as root).

One server per test session; each test gets a fresh database copied from a migrated template
(``CREATE DATABASE … TEMPLATE``: a file copy, far faster than running the migrations again).
Plain functions and a class without pytest, so scripts can start one too.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg

from core.catalog import open_catalog
from tests.loopback import free_port

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
SERVER_USER = "nobody"  # exists on every Debian system; owns nothing else we touch
ROLE = "alarmvault"
TEMPLATE = "catalog_template"


def postgres_bin() -> Path | None:
    """The newest installed server's bin folder, None without the ``postgresql`` package."""
    for folder in BIN_DIRS:
        if (folder / "initdb").is_file():
            return folder
    return None


class PostgresServer:
    """A throw-away cluster on 127.0.0.1 (trust authentication, loopback only, fsync off)."""

    def __init__(self, root: Path) -> None:
        folder = postgres_bin()
        if folder is None:
            raise RuntimeError("PostgreSQL is not installed (scripts/install-sysdeps test)")
        self.bin = folder
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self._numbers = itertools.count(1)

    def _as_server_user(self, *command: str | Path) -> subprocess.CompletedProcess[bytes]:
        argv = [str(part) for part in command]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", SERVER_USER, "--", *argv]
        return subprocess.run(argv, check=True, capture_output=True, timeout=120)

    def start(self) -> PostgresServer:
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            user = pwd.getpwnam(SERVER_USER)
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self._as_server_user(
            self.bin / "initdb", "-D", self.data, "-U", ROLE, "--auth=trust", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync",
        )  # fmt: skip
        return self.run()

    def run(self) -> PostgresServer:
        """Start the server on its cluster (again, after `halt`: same port, same data)."""
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root}"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            " -c max_connections=300"
        )
        self._as_server_user(
            self.bin / "pg_ctl", "-D", self.data, "-o", options, "-l", self.root / "server.log",
            "-w", "-t", "60", "start",
        )  # fmt: skip
        return self

    def restart(self) -> None:
        """Stop the server at once (every connection dies, as when it crashes) and start it
        again on the same port and data."""
        self._as_server_user(
            self.bin / "pg_ctl", "-D", self.data, "-l", self.root / "server.log", "-m", "immediate",
            "-w", "-t", "60", "restart",
        )  # fmt: skip

    def halt(self) -> None:
        """Stop the server as a crash would (its clients' connections break); data is kept."""
        self._as_server_user(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "stop")

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{ROLE}@127.0.0.1:{self.port}/{database}"

    def admin(self, statement: str) -> None:
        """One statement outside any transaction (CREATE/DROP DATABASE need that)."""
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type]

    def make_template(self) -> None:
        """The migrated, empty catalog every test database is copied from."""
        self.admin(f"CREATE DATABASE {TEMPLATE}")
        open_catalog(self.url(TEMPLATE)).close()

    def fresh_database(self) -> str:
        """A new database holding the migrated empty catalog; returns its URL."""
        name = f"catalog_{os.getpid()}_{next(self._numbers)}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)

    def empty_database(self) -> str:
        """A new database without any table (what `open_catalog` migrates from nothing)."""
        name = f"empty_{os.getpid()}_{next(self._numbers)}"
        self.admin(f"CREATE DATABASE {name}")
        return self.url(name)

    def drop(self, url: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


@contextlib.contextmanager
def server_of_its_own(*, template: bool = True) -> Iterator[PostgresServer]:
    """A server started in a new temp folder, outside pytest's (which only root may enter: the
    server runs as nobody), with the migrated catalog template unless ``template`` is False;
    stopped and removed afterwards."""
    if postgres_bin() is None:
        raise RuntimeError("PostgreSQL is not installed: run scripts/install-sysdeps test")
    server = PostgresServer(Path(tempfile.mkdtemp(prefix="alarmvault-pg-"))).start()
    try:
        if template:
            server.make_template()
        yield server
    finally:
        server.stop()
