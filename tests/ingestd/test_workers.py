"""Pre-forked workers: a shared login ban, passive ports that never overlap, SIGHUP passed on."""

from __future__ import annotations

import signal
import time

import pytest

from core.spool import list_incoming
from ingestd.login_ban import LoginBan, account_key
from ingestd.shared_state import (
    address_failures_store,
    known_logins_store,
    login_failures_store,
    reset_shared_state,
    shared_state_file,
)
from ingestd.worker_slots import WorkerSlot, passive_ports_for, serves_ftp
from tests.ingestd.clients import ftp_login_fails, ftp_upload
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


def shared_ban(settings, failures: int = 3, address_failures: int = 5, clock=None) -> LoginBan:
    """The ban one worker process would have, on the shared file."""
    return LoginBan(
        failures,
        60,
        300,
        address_failures=address_failures,
        known_for_s=3600,
        clock=clock or time.time,
        pair_store=login_failures_store(settings),
        address_store=address_failures_store(settings),
        known=known_logins_store(settings),
    )


def test_ban_is_shared_between_workers(ingest_settings, caplog):
    reset_shared_state(ingest_settings)
    now = [1000.0]
    first, second = (shared_ban(ingest_settings, clock=lambda: now[0]) for _ in range(2))
    try:
        first.record_failure("192.0.2.1", "camguessed")
        second.record_failure("192.0.2.1", "camguessed")
        assert not second.refuses("192.0.2.1", "camguessed")
        first.record_failure("192.0.2.1", "camguessed")
        assert second.refuses("192.0.2.1", "camguessed")
        assert not second.refuses("192.0.2.1", "camother")
        assert not second.refuses("192.0.2.2", "camguessed")
        second.record_failure("192.0.2.1", "camguessed")  # banned already: no second log line
        now[0] += 301
        assert not first.refuses("192.0.2.1", "camguessed")
    finally:
        first.close()
        second.close()
    bans = [r.getMessage() for r in caplog.records if r.getMessage().startswith("login ban")]
    assert bans == [
        "login ban: one account from 192.0.2.0/24 refused for 300 s after 3 failed logins"
    ]


def test_known_logins_are_shared_between_workers_and_survive_a_restart(ingest_settings):
    reset_shared_state(ingest_settings)
    first, second = shared_ban(ingest_settings), shared_ban(ingest_settings)
    try:
        first.record_success("192.0.2.1", "camknown")
        for number in range(5):  # spraying five other accounts caps the address
            second.record_failure("192.0.2.1", f"camguess{number}")
        assert first.refuses("192.0.2.1", "camstranger")
        assert not first.refuses("192.0.2.1", "camknown")
        assert not first.address_is_closed("192.0.2.1")  # a known camera may come from it
        assert not second.address_is_closed("192.0.2.2")
    finally:
        first.close()
        second.close()
    reset_shared_state(ingest_settings)  # ingestd restarts: bans go, known logins stay
    after = shared_ban(ingest_settings)
    try:
        assert not after.refuses("192.0.2.1", "camstranger")
        assert after.known.is_known("192.0.2.1", account_key("camknown"), time.time())
    finally:
        after.close()
    # The file holds digests of account names, never the names.
    assert b"camknown" not in shared_state_file(ingest_settings).read_bytes()


def test_success_clears_earlier_failures_of_its_account_only(ingest_settings):
    reset_shared_state(ingest_settings)
    ban = shared_ban(ingest_settings, failures=2, address_failures=3)
    try:
        ban.record_failure("192.0.2.1", "camera")
        ban.record_success("192.0.2.1", "camera")
        ban.record_failure("192.0.2.1", "camera")
        assert not ban.refuses("192.0.2.1", "camera")
        # The address's count stays: a success of one's own camera does not reset it.
        ban.record_failure("192.0.2.1", "camother")
        assert ban.refuses("192.0.2.1", "camnew")
    finally:
        ban.close()


def test_workers_share_the_ban_of_an_account_and_spare_its_neighbours(
    catalog, make_camera, two_workers
):
    guessed, neighbour = make_camera(), make_camera()
    first, second = two_workers.worker_pids()
    address = two_workers.ftp_address
    with two_workers.served_by(first):
        ftp_login_fails(address, guessed["username"], "guess", "530 Login incorrect")
        ftp_login_fails(address, guessed["username"], "guess", "530 Login incorrect")
    with two_workers.served_by(second):
        ftp_login_fails(address, guessed["username"], "guess", "530 Login incorrect")
    for worker in (first, second):
        with two_workers.served_by(worker):
            ftp_login_fails(
                address, guessed["username"], guessed["password"], "530 Too many failed logins"
            )
            ftp_upload(address, neighbour, f"A_{worker}.mp4")
    assert len(list_incoming(two_workers.settings.storage.spool_dir)) == 2


def test_sighup_makes_every_worker_load_the_certificate_again(two_workers):
    # `systemctl reload` signals the parent only; each worker serves FTPS with its own context.
    workers_before = two_workers.worker_pids()
    two_workers.process.send_signal(signal.SIGHUP)
    assert wait_until(
        lambda: two_workers.log.read_text().count("FTPS certificate reloaded") == 2
    ), two_workers.log.read_text()
    assert two_workers.process.poll() is None
    assert two_workers.worker_pids() == workers_before


def test_the_listening_lines_are_said_once_by_the_parent_and_by_each_worker_at_debug(two_workers):
    text = two_workers.log.read_text()
    ftp = "{}:{}".format(*two_workers.ftp_address)
    sftp = "{}:{}".format(*two_workers.sftp_address)
    assert text.count("listening on") == 2, text
    assert f"INFO ingestd.worker_slots: FTP/FTPS listening on {ftp}" in text
    assert f"INFO ingestd.worker_slots: SFTP listening on {sftp}" in text
    for worker in (0, 1):
        assert f"DEBUG ingestd.worker_slots: worker {worker} serving FTP/FTPS on {ftp}" in text
        assert f"DEBUG ingestd.worker_slots: worker {worker} serving SFTP on {sftp}" in text
