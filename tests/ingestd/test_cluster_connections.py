"""Per-address connection limits on a PostgreSQL catalog are one count for every node: two
ingestd nodes (each its own ports, data folder and node name) on one catalog, real FTP and SSH
clients; and a node that is SIGKILLed stops counting once its heartbeat runs out."""

from __future__ import annotations

import contextlib
import copy
import ftplib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import paramiko
import psycopg
import pytest
import tomli_w

from core.settings import ConfigError, Settings, settings_from_dict
from ingestd.connection_limits import (
    FTP,
    SFTP,
    Refusal,
    SharedConnectionLimiter,
    Ticket,
    connection_limiter_for,
)
from ingestd.daemon import IngestDaemon
from tests.conftest import REPO
from tests.ingestd.conftest import wait_until
from tests.loopback import free_port, free_port_range

on_postgresql = pytest.mark.parametrize("catalog_engine", ["postgresql"], indirect=True)

HEARTBEAT_S = 0.25
NODE_TIMEOUT_S = 2.0


@pytest.fixture
def node_config(
    settings_dict: dict, server_keys: dict[str, Path], tmp_path: Path
) -> Callable[[str], dict]:
    """``node_config(name)``: the settings of one ingest node on the test's catalog: its own
    ports and data folder, two connections per address, a short heartbeat window."""

    def _config(name: str) -> dict:
        config = copy.deepcopy(settings_dict)
        low, high = free_port_range()
        config["storage"]["data_dir"] = str(tmp_path / name)
        config["ftp"] = {
            "listen": f"127.0.0.1:{free_port()}",
            "passive_ports": f"{low}-{high}",
            "max_connections_per_ip": 2,
            "tls_cert": str(server_keys["tls_cert"]),
            "tls_key": str(server_keys["tls_key"]),
        }
        config["sftp"] = {
            "listen": f"127.0.0.1:{free_port()}",
            "max_connections_per_ip": 2,
            "host_key": str(server_keys["host_key"]),
        }
        config["ingest"] = {
            "workers": 1,
            "node_name": name,
            "node_heartbeat_s": HEARTBEAT_S,
            "node_timeout_s": NODE_TIMEOUT_S,
            "failed_login_delay_s": 0.05,
        }
        config["logging"] = {"level": "INFO"}
        return config

    return _config


@pytest.fixture
def start_node(node_config: Callable[[str], dict], tmp_path: Path) -> Iterator:
    """``start_node(name)``: an ingestd node running in this process, stopped at the end."""
    daemons: list[IngestDaemon] = []

    def _start(name: str) -> IngestDaemon:
        daemon = IngestDaemon(settings_from_dict(node_config(name), tmp_path))
        daemons.append(daemon)
        daemon.start()
        return daemon

    yield _start
    for daemon in daemons:
        daemon.stop()


@pytest.fixture
def clients() -> Iterator[Callable[..., object]]:
    """``clients(kind, address)``: an FTP client through the greeting ("ftp") or an SSH
    transport through the key exchange ("ssh"), closed at the end. A refusal raises."""
    made: list[ftplib.FTP | paramiko.Transport] = []

    def _connect(kind: str, address: tuple[str, int]) -> ftplib.FTP | paramiko.Transport:
        if kind == FTP:
            ftp = ftplib.FTP()
            made.append(ftp)
            ftp.connect(*address, timeout=10)  # reads the 220 greeting, or raises on 421
            return ftp
        transport = paramiko.Transport(address)
        made.append(transport)
        transport.start_client(timeout=10)
        return transport

    yield _connect
    for client in made:
        with contextlib.suppress(OSError):
            client.close()


def _ftp_admitted(clients: Callable[..., object], address: tuple[str, int]) -> bool:
    with contextlib.suppress(ftplib.error_temp):
        clients(FTP, address)
        return True
    return False


@on_postgresql
def test_an_address_at_its_limit_on_one_node_is_refused_on_the_other(start_node, clients):
    node_a, node_b = start_node("node-a"), start_node("node-b")
    assert isinstance(node_a.connection_limiter, SharedConnectionLimiter)
    held = [clients(FTP, node_a.ftp.address), clients(FTP, node_a.ftp.address)]

    with pytest.raises(ftplib.error_temp, match="421 Too many connections from the same IP"):
        clients(FTP, node_b.ftp.address)

    # SFTP counts apart from FTP, across the nodes as well.
    clients(SFTP, node_b.sftp.address)
    clients(SFTP, node_b.sftp.address)
    with socket.create_connection(node_a.sftp.address, timeout=10) as sock:
        assert sock.recv(100) == b"Too many connections from your address.\r\n"

    held[0].close()  # pyftpdlib on node A notices and gives the slot back
    assert wait_until(lambda: _ftp_admitted(clients, node_b.ftp.address), timeout=5)


@pytest.fixture
def limiter_of(settings: Settings) -> Iterator[Callable[[str], SharedConnectionLimiter]]:
    """``limiter_of(node)``: the connection limiter of an ingest node named ``node`` on the
    test's catalog (one connection per address and protocol); closed at the end."""
    settings.sftp.max_connections_per_ip = 2
    made: list[SharedConnectionLimiter] = []

    def _make(node: str) -> SharedConnectionLimiter:
        settings.ingest.node_name = node
        limiter = connection_limiter_for(settings, None)
        assert isinstance(limiter, SharedConnectionLimiter)
        made.append(limiter)
        return limiter

    yield _make
    for limiter in made:
        limiter.close()


@on_postgresql
def test_a_restarted_node_clears_the_connections_it_left(limiter_of):
    """A node that died and starts again under the same name counts none of its old ones."""
    first = limiter_of("node-a")
    assert isinstance(first.admit(SFTP, "192.0.2.10"), Ticket)
    assert isinstance(first.admit(SFTP, "192.0.2.10"), Ticket)
    first.close()  # died without giving anything back (its heartbeat is still recent)
    other = limiter_of("node-b")
    assert other.admit(SFTP, "192.0.2.10") is Refusal.ADDRESS
    limiter_of("node-a")
    assert isinstance(other.admit(SFTP, "192.0.2.10"), Ticket)


@on_postgresql
def test_the_sftp_total_counts_only_the_nodes_own_connections(limiter_of, settings):
    settings.sftp.max_connections = 2
    node_a, node_b = limiter_of("node-a"), limiter_of("node-b")
    assert isinstance(node_a.admit(SFTP, "192.0.2.1"), Ticket)
    assert isinstance(node_a.admit(SFTP, "192.0.2.2"), Ticket)
    assert node_a.admit(SFTP, "192.0.2.3") is Refusal.TOTAL
    assert isinstance(node_b.admit(SFTP, "192.0.2.3"), Ticket)


@pytest.fixture
def killable_node(node_config: Callable[[str], dict], tmp_path: Path) -> Iterator[dict]:
    """Node A as its own ``python -m ingestd`` process (so that it can be SIGKILLed)."""
    config = node_config("node-a")
    path = tmp_path / "node-a.toml"
    path.write_bytes(tomli_w.dumps(config).encode())
    log = tmp_path / "node-a.log"
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "ingestd", "--config", str(path)],
            cwd=REPO,
            env=dict(os.environ, PYTHONPATH=str(REPO)),
            stdout=output,
            stderr=output,
        )
    try:

        def serving() -> bool:
            assert process.poll() is None, f"ingestd exited during start:\n{log.read_text()}"
            text = log.read_text()
            return "SFTP listening on" in text and "FTP/FTPS listening on" in text

        assert wait_until(serving, timeout=30), log.read_text()
        host, port = config["ftp"]["listen"].rsplit(":", 1)
        yield {"process": process, "ftp": (host, int(port))}
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


@on_postgresql
def test_a_killed_nodes_connections_stop_counting_after_its_heartbeat_window(
    killable_node, start_node, clients, settings
):
    node_b = start_node("node-b")
    clients(FTP, killable_node["ftp"])
    clients(FTP, killable_node["ftp"])
    killable_node["process"].send_signal(signal.SIGKILL)
    killable_node["process"].wait(timeout=10)

    # Its rows still count until its last heartbeat is NODE_TIMEOUT_S old.
    with pytest.raises(ftplib.error_temp, match="421 Too many connections from the same IP"):
        clients(FTP, node_b.ftp.address)
    assert wait_until(
        lambda: _ftp_admitted(clients, node_b.ftp.address), timeout=NODE_TIMEOUT_S + 3
    )

    def node_a_forgotten() -> bool:
        with psycopg.connect(str(settings.storage.catalog_path)) as db:
            rows = db.execute(
                "SELECT (SELECT COUNT(*) FROM ingest_connections WHERE node = 'node-a'),"
                " (SELECT COUNT(*) FROM ingest_heartbeats WHERE node = 'node-a')"
            ).fetchone()
        return rows == (0, 0)

    # Node B's heartbeat removes the dead node's rows.
    assert wait_until(node_a_forgotten, timeout=5)


def test_a_node_timeout_shorter_than_two_heartbeats_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="node_timeout_s must be at least twice"):
        settings_from_dict({"ingest": {"node_heartbeat_s": 5, "node_timeout_s": 8}}, tmp_path)
