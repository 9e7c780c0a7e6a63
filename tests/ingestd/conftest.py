"""ingestd fixtures: a real ingestd (FTP/FTPS and SFTP) on free loopback ports, real clients."""

from __future__ import annotations

import contextlib
import ftplib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paramiko
import pytest

from core.catalog.engine import PostgresCatalog, is_postgresql_url
from core.settings import Settings, parse_listen, settings_from_dict
from core.spool import UploadMeta, clip_path, list_incoming, read_upload
from ingestd.connection_limits import FTP, SFTP, Limit, SharedConnectionLimiter, SqliteCounts
from ingestd.daemon import IngestDaemon
from ingestd.keys import ensure_ssh_host_keys, ensure_tls_certificate
from ingestd.shared_state import reset_shared_state, shared_state_file
from tests.conftest import REPO

THREAD_GRACE_S = 5.0


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Every server thread a test starts must be gone when it ends."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + THREAD_GRACE_S
    while True:
        leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not leaked, f"threads left running: {leaked}"


@pytest.fixture(scope="session")
def server_keys(tmp_path_factory) -> dict[str, Path]:
    """A TLS certificate and an SSH host key made once per test run (RSA keys take a while)."""
    keys_settings = settings_from_dict(
        {"storage": {"data_dir": str(tmp_path_factory.mktemp("server-keys"))}}, Path("/")
    )
    cert, key = ensure_tls_certificate(keys_settings)
    host_keys = ensure_ssh_host_keys(keys_settings)
    return {"tls_cert": cert, "tls_key": key, "host_key": host_keys[0]}


@pytest.fixture
def ingest_settings(settings: Settings, server_keys: dict[str, Path]) -> Settings:
    """The shared test settings with the session's server keys, a short failed-login pause and
    free space measured often."""
    settings.ingest.failed_login_delay_s = 0.05
    # New free-space figures within a blink of a test changing them.
    settings.ingest.free_space_check_s = 0.1
    settings.ftp.tls_cert = server_keys["tls_cert"]
    settings.ftp.tls_key = server_keys["tls_key"]
    settings.sftp.host_key = server_keys["host_key"]
    return settings


@pytest.fixture
def ingestd(ingest_settings: Settings, catalog) -> Iterator[IngestDaemon]:
    daemon = IngestDaemon(ingest_settings)
    daemon.start()
    yield daemon
    daemon.stop()


@pytest.fixture
def ftp_connect(ingestd: IngestDaemon) -> Iterator[Callable[..., ftplib.FTP]]:
    """``ftp_connect(camera)`` → a logged-in ftplib client; ``tls=True`` for FTPS."""
    clients: list[ftplib.FTP] = []

    def _connect(camera: dict | None = None, *, tls: bool = False, login: bool = True):
        client = ftplib.FTP_TLS() if tls else ftplib.FTP()
        host, port = ingestd.ftp.address
        client.connect(host, port, timeout=20)
        clients.append(client)
        if camera is not None and login:
            client.login(camera["username"], camera["password"])
            if tls:
                client.prot_p()
        return client

    yield _connect
    for client in clients:
        with contextlib.suppress(OSError):
            client.close()


@pytest.fixture
def sftp_connect(ingestd: IngestDaemon) -> Iterator[Callable[..., paramiko.SFTPClient]]:
    """``sftp_connect(camera)`` → a paramiko SFTP client logged in with the camera's password."""
    transports: list[paramiko.Transport] = []

    def _connect(camera: dict, password: str | None = None) -> paramiko.SFTPClient:
        transport = paramiko.Transport(ingestd.sftp.address)
        transports.append(transport)
        transport.connect(username=camera["username"], password=password or camera["password"])
        return paramiko.SFTPClient.from_transport(transport)

    yield _connect
    for transport in transports:
        transport.close()


def spooled(settings: Settings) -> list[tuple[UploadMeta, Path]]:
    """(metadata, clip path) of every upload waiting in spool/incoming."""
    folders = list_incoming(settings.storage.spool_dir)
    return [(read_upload(folder), clip_path(folder)) for folder in folders]


def jail_files(settings: Settings) -> list[Path]:
    """Every file left in any camera's jail (os.walk, not rglob: ingestd removes the folders a
    session's uploads left empty when it ends, maybe while they are being listed)."""
    found = []
    for top, folders, files in os.walk(settings.storage.uploads_dir):
        top_path = Path(top)
        found += [top_path / name for name in files]
        found += [top_path / name for name in folders if (top_path / name).is_symlink()]
    return found


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def shared_limiters(
    ingest_settings: Settings,
) -> Iterator[Callable[..., SharedConnectionLimiter]]:
    """``shared_limiters(worker, per_address=2, total=None)``: the limiter one worker process
    would have, all on the same freshly reset ban file (heartbeat every 0.05 s, 10 s window);
    closed at the end."""
    ingest_settings.ingest.node_heartbeat_s = 0.05
    ingest_settings.ingest.node_timeout_s = 10.0
    reset_shared_state(ingest_settings)
    made: list[SharedConnectionLimiter] = []

    def _make(
        worker: int,
        per_address: int = 2,
        total: int | None = None,
        busy_timeout_s: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> SharedConnectionLimiter:
        limits = {SFTP: Limit(per_address, total), FTP: Limit(per_address)}
        counts = SqliteCounts(shared_state_file(ingest_settings), busy_timeout_s=busy_timeout_s)
        limiter = SharedConnectionLimiter(
            counts,
            ingest_settings.ingest.node_name,
            worker,
            limits,
            heartbeat_s=ingest_settings.ingest.node_heartbeat_s,
            timeout_s=ingest_settings.ingest.node_timeout_s,
            clock=clock,
        )
        made.append(limiter)
        return limiter

    yield _make
    for limiter in made:
        limiter.close()


class WorkerProcesses:
    """A real ``python -m ingestd`` with pre-forked workers, and ways to steer its accepts."""

    def __init__(self, process: subprocess.Popen, settings: Settings, log: Path) -> None:
        self.process = process
        self.settings = settings
        self.log = log
        self.ftp_address = parse_listen(settings.ftp.listen)
        self.sftp_address = parse_listen(settings.sftp.listen)

    def worker_pids(self) -> list[int]:
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                # After "(comm)": state, then the parent's pid.
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    pids.append(int(stat.parent.name))
        return sorted(pids)

    @contextlib.contextmanager
    def served_by(self, pid: int) -> Iterator[None]:
        """Connections made inside are accepted by worker ``pid``: the others are stopped."""
        others = [p for p in self.worker_pids() if p != pid]
        for other in others:
            os.kill(other, signal.SIGSTOP)
        try:
            assert wait_until(lambda: all(_process_state(p) in "Tt" for p in others))
            yield
        finally:
            for other in others:
                os.kill(other, signal.SIGCONT)

    def open_connections(self, protocol: str) -> list[int]:
        """The worker index of each connection counted in the shared file (in the catalog when
        it is PostgreSQL)."""
        query = "SELECT worker FROM ingest_connections WHERE protocol = ?"
        catalog = self.settings.storage.catalog_path
        if is_postgresql_url(catalog):
            with contextlib.closing(PostgresCatalog(str(catalog))) as pg:
                rows = pg.execute(query, [protocol]).fetchall()
        else:
            with contextlib.closing(sqlite3.connect(shared_state_file(self.settings))) as db:
                rows = db.execute(query, [protocol]).fetchall()
        return sorted(worker for (worker,) in rows)


def _process_state(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "?"


@pytest.fixture
def two_workers(
    settings_dict: dict, server_keys: dict[str, Path], tmp_path: Path
) -> Iterator[WorkerProcesses]:
    """``python -m ingestd`` with two workers, both serving FTP and SFTP, a limit of two
    connections per address for each protocol, and a ban after three failed logins."""
    import tomli_w

    settings_dict["ingest"] = {"workers": 2, "ban_after_failures": 3, "failed_login_delay_s": 0.05}
    settings_dict["ftp"].update(
        workers=2,
        max_connections_per_ip=2,
        tls_cert=str(server_keys["tls_cert"]),
        tls_key=str(server_keys["tls_key"]),
    )
    settings_dict["sftp"].update(max_connections_per_ip=2, host_key=str(server_keys["host_key"]))
    # DEBUG: each worker says when it serves (the parent alone says "listening on" at INFO).
    settings_dict["logging"] = {"level": "DEBUG"}
    config = tmp_path / "workers.toml"
    config.write_bytes(tomli_w.dumps(settings_dict).encode())
    settings = settings_from_dict(settings_dict, tmp_path)
    log = tmp_path / "ingestd.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "ingestd", "--config", str(config)],
            cwd=REPO,
            env=dict(os.environ, PYTHONPATH=str(REPO)),
            stdout=output,
            stderr=output,
        )
    workers = WorkerProcesses(process, settings, log)

    def serving() -> bool:
        assert process.poll() is None, f"ingestd exited during start:\n{log.read_text()}"
        text = log.read_text()
        return (
            text.count("serving SFTP on") == 2
            and text.count("serving FTP/FTPS on") == 2
            and len(workers.worker_pids()) == 2
        )

    try:
        assert wait_until(serving, timeout=30), log.read_text()
        yield workers
    finally:
        for pid in workers.worker_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
