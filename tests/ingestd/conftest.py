"""ingestd fixtures: a real ingestd (FTP/FTPS and SFTP) on free loopback ports, real clients."""

from __future__ import annotations

import contextlib
import ftplib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import paramiko
import pytest

from ingestd.daemon import IngestDaemon
from ingestd.keys import ensure_ssh_host_keys, ensure_tls_certificate
from pipeline.settings import Settings, settings_from_dict
from pipeline.spool import UploadMeta, clip_path, list_incoming, read_upload

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
    """The shared test settings with the session's server keys and a short failed-login pause."""
    settings.ingest.failed_login_delay_s = 0.05
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
    """Every file left in any camera's jail."""
    return [p for p in settings.storage.uploads_dir.rglob("*") if p.is_file() or p.is_symlink()]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()
