"""Pre-forked workers: a shared login ban, passive ports that never overlap, SIGHUP passed on."""

from __future__ import annotations

import signal

import pytest

from ingestd.credentials import LoginBan
from ingestd.shared_state import login_failures_store, reset_shared_state
from ingestd.worker_slots import WorkerSlot, passive_ports_for, serves_ftp
from tests.ingestd.conftest import wait_until


def _slot(index: int, count: int) -> WorkerSlot:
    return WorkerSlot(index, count, None, None)


def test_each_worker_gets_its_own_passive_ports():
    ports = range(30000, 30100)
    shares = [passive_ports_for(ports, _slot(i, 3)) for i in range(3)]
    assert sorted(p for share in shares for p in share) == list(ports)
    assert all(len(share) >= 33 for share in shares)
    assert passive_ports_for(ports, None) == list(ports)
    with pytest.raises(ValueError, match="fewer than the 3 FTP workers"):
        passive_ports_for(range(30000, 30002), _slot(0, 3))


def test_only_the_first_ftp_workers_serve_ftp_and_share_its_passive_ports():
    ports = range(30000, 30100)
    assert [serves_ftp(_slot(i, 3), ftp_workers=1) for i in range(3)] == [True, False, False]
    assert passive_ports_for(ports, _slot(0, 3), ftp_workers=1) == list(ports)
    assert [serves_ftp(_slot(i, 3), ftp_workers=2) for i in range(3)] == [True, True, False]
    halves = [passive_ports_for(ports, _slot(i, 3), ftp_workers=2) for i in range(2)]
    assert sorted(halves[0] + halves[1]) == list(ports)
    assert serves_ftp(None, ftp_workers=1)


def test_ban_is_shared_between_workers(ingest_settings, caplog):
    reset_shared_state(ingest_settings)
    now = [1000.0]
    first, second = (
        LoginBan(3, 60, 300, clock=lambda: now[0], store=login_failures_store(ingest_settings))
        for _ in range(2)
    )
    try:
        assert first.record_failure("192.0.2.1") is False
        assert second.record_failure("192.0.2.1") is False
        assert first.record_failure("192.0.2.1") is True
        assert second.is_banned("192.0.2.1")
        assert not second.is_banned("192.0.2.2")
        assert second.record_failure("192.0.2.1") is False  # banned already: no second log line
        now[0] += 301
        assert not first.is_banned("192.0.2.1")
    finally:
        first.close()
        second.close()
    bans = [r.getMessage() for r in caplog.records if r.getMessage().startswith("login ban")]
    assert bans == ["login ban: 192.0.2.0/24 refused for 300 s after 3 failed logins"]


def test_success_clears_earlier_failures(ingest_settings):
    reset_shared_state(ingest_settings)
    ban = LoginBan(2, 60, 300, store=login_failures_store(ingest_settings))
    try:
        ban.record_failure("192.0.2.1")
        ban.record_success("192.0.2.1")
        assert ban.record_failure("192.0.2.1") is False
    finally:
        ban.close()


def test_sighup_makes_every_worker_load_the_certificate_again(two_workers):
    # `systemctl reload` signals the parent only; each worker serves FTPS with its own context.
    workers_before = two_workers.worker_pids()
    two_workers.process.send_signal(signal.SIGHUP)
    assert wait_until(
        lambda: two_workers.log.read_text().count("FTPS certificate reloaded") == 2
    ), two_workers.log.read_text()
    assert two_workers.process.poll() is None
    assert two_workers.worker_pids() == workers_before
