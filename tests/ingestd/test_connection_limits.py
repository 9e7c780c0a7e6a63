"""Connection limits counted across pre-forked workers: the shared count on its own, then a
real two-worker ingestd refusing the connection one past the per-address limit."""

from __future__ import annotations

import contextlib
import ftplib
import logging
import socket
import sqlite3

import paramiko
import pytest

from ingestd.connection_limits import (
    FTP,
    SFTP,
    Limit,
    LocalConnectionLimiter,
    Refusal,
    Ticket,
)
from tests.ingestd.conftest import wait_until

ADDRESS = "192.0.2.10"
OTHER = "192.0.2.99"


def test_address_limit_holds_across_workers(shared_limiters):
    first, second = shared_limiters(0), shared_limiters(1)
    assert isinstance(first.admit(SFTP, ADDRESS), Ticket)
    assert isinstance(second.admit(SFTP, ADDRESS), Ticket)
    assert first.admit(SFTP, ADDRESS) is Refusal.ADDRESS
    assert second.admit(SFTP, ADDRESS) is Refusal.ADDRESS
    # Other addresses, and the other protocol, are counted apart.
    assert isinstance(second.admit(SFTP, OTHER), Ticket)
    assert isinstance(first.admit(FTP, ADDRESS), Ticket)


def test_sftp_total_holds_across_workers(shared_limiters):
    first, second = shared_limiters(0, total=3), shared_limiters(1, total=3)
    assert isinstance(first.admit(SFTP, "192.0.2.1"), Ticket)
    assert isinstance(second.admit(SFTP, "192.0.2.2"), Ticket)
    assert isinstance(first.admit(SFTP, "192.0.2.3"), Ticket)
    assert second.admit(SFTP, "192.0.2.4") is Refusal.TOTAL


def test_release_frees_one_slot_once(shared_limiters):
    first, second = shared_limiters(0), shared_limiters(1)
    ticket = first.admit(SFTP, ADDRESS)
    assert isinstance(second.admit(SFTP, ADDRESS), Ticket)
    first.release(ticket)
    first.release(ticket)  # a second release of the same ticket frees nothing more
    assert isinstance(second.admit(SFTP, ADDRESS), Ticket)
    assert first.admit(SFTP, ADDRESS) is Refusal.ADDRESS


def test_restarted_worker_clears_connections_its_predecessor_left(shared_limiters):
    crashed, other = shared_limiters(0), shared_limiters(1)
    assert isinstance(crashed.admit(SFTP, ADDRESS), Ticket)
    assert isinstance(crashed.admit(SFTP, ADDRESS), Ticket)
    crashed.close()  # died without releasing anything
    assert other.admit(SFTP, ADDRESS) is Refusal.ADDRESS
    shared_limiters(0)  # the supervisor starts worker 0 again
    assert isinstance(other.admit(SFTP, ADDRESS), Ticket)


def test_a_worker_not_heard_from_stops_counting_and_its_rows_are_removed(shared_limiters):
    now = [1_000_000.0]
    dead = shared_limiters(0, per_address=1, clock=lambda: now[0])
    live = shared_limiters(1, per_address=1, clock=lambda: now[0])
    assert isinstance(dead.admit(SFTP, ADDRESS), Ticket)
    dead.close()  # SIGKILL: no release, no heartbeat any more
    assert live.admit(SFTP, ADDRESS) is Refusal.ADDRESS
    now[0] += 11  # past the 10 s window
    assert isinstance(live.admit(SFTP, ADDRESS), Ticket)

    def dead_rows() -> int:
        with contextlib.closing(sqlite3.connect(live.counts.path)) as db:
            query = "SELECT COUNT(*) FROM ingest_connections WHERE worker = 0"
            return int(db.execute(query).fetchone()[0])

    assert wait_until(lambda: dead_rows() == 0, timeout=5)


def test_locked_database_admits_uncounted_and_warns_once(shared_limiters, caplog):
    limiter = shared_limiters(0, per_address=1, busy_timeout_s=0.05)
    blocker = sqlite3.connect(limiter.counts.path, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        with caplog.at_level(logging.INFO, logger="ingestd.connection_limits"):
            first = limiter.admit(SFTP, ADDRESS)
            second = limiter.admit(SFTP, ADDRESS)
            blocker.execute("ROLLBACK")
            limiter.release(first)  # uncounted: nothing to give back
            counted = limiter.admit(SFTP, ADDRESS)
    finally:
        blocker.close()
    assert isinstance(first, Ticket) and not first.counted
    assert isinstance(second, Ticket) and not second.counted
    assert isinstance(counted, Ticket) and counted.counted
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "database is locked" in warnings[0]
    assert "shared connection count works again" in caplog.text
    assert "192.0.2" not in caplog.text


def test_release_lost_to_a_locked_database_is_made_later(shared_limiters, caplog):
    limiter = shared_limiters(0, per_address=1, busy_timeout_s=0.05)
    ticket = limiter.admit(SFTP, ADDRESS)
    blocker = sqlite3.connect(limiter.counts.path, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")
        limiter.release(ticket)
        blocker.execute("ROLLBACK")
    finally:
        blocker.close()
    assert "closed connection may count" in caplog.text
    assert isinstance(limiter.admit(SFTP, ADDRESS), Ticket)


def test_local_limiter_counts_per_address_and_in_all():
    limiter = LocalConnectionLimiter({SFTP: Limit(per_address=2, total=3)})
    tickets = [limiter.admit(SFTP, ADDRESS), limiter.admit(SFTP, ADDRESS)]
    assert limiter.admit(SFTP, ADDRESS) is Refusal.ADDRESS
    assert isinstance(limiter.admit(SFTP, OTHER), Ticket)
    assert limiter.admit(SFTP, "192.0.2.200") is Refusal.TOTAL
    limiter.release(tickets[0])
    limiter.release(tickets[0])
    assert isinstance(limiter.admit(SFTP, ADDRESS), Ticket)
    assert limiter.admit(SFTP, ADDRESS) is Refusal.TOTAL


# --- a real ingestd with two workers


def _ssh(address: tuple[str, int]) -> paramiko.Transport:
    """An SSH connection through the key exchange (no login needed to hold a slot)."""
    transport = paramiko.Transport(address)
    try:
        transport.start_client(timeout=10)
    except BaseException:
        transport.close()
        raise
    return transport


def test_sftp_address_limit_holds_across_two_workers(two_workers):
    first, second = two_workers.worker_pids()
    address = two_workers.sftp_address
    transports = []
    try:
        with two_workers.served_by(first):
            transports.append(_ssh(address))
        with two_workers.served_by(second):
            transports.append(_ssh(address))
        assert two_workers.open_connections(SFTP) == [0, 1]  # one in each worker

        with pytest.raises(paramiko.SSHException):
            _ssh(address)
        with socket.create_connection(address, timeout=10) as sock:
            assert sock.recv(100) == b"Too many connections from your address.\r\n"

        transports.pop(0).close()

        def admitted() -> bool:
            # The worker notices the closed connection within its housekeeping interval.
            with contextlib.suppress(paramiko.SSHException):
                transports.append(_ssh(address))
                return True
            return False

        assert wait_until(admitted, timeout=5)
    finally:
        for transport in transports:
            transport.close()


def test_ftp_address_limit_holds_across_two_ftp_workers(two_workers):
    first, second = two_workers.worker_pids()
    address = two_workers.ftp_address
    clients = []

    def connect() -> ftplib.FTP:
        client = ftplib.FTP()
        try:
            client.connect(*address, timeout=10)  # reads the 220 greeting, or raises on 421
        except BaseException:
            client.close()
            raise
        clients.append(client)
        return client

    try:
        with two_workers.served_by(first):
            connect()
        with two_workers.served_by(second):
            connect()
        assert two_workers.open_connections(FTP) == [0, 1]  # one in each worker

        with pytest.raises(ftplib.error_temp, match="421 Too many connections from the same IP"):
            connect()

        clients.pop(0).quit()

        def admitted() -> bool:
            with contextlib.suppress(ftplib.error_temp):
                connect()
                return True
            return False

        assert wait_until(admitted, timeout=5)
        assert len(two_workers.open_connections(FTP)) == 2
    finally:
        for client in clients:
            client.close()
