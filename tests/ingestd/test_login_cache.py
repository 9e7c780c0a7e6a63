"""A login verified a moment ago skips argon2; a new password or a refused state still counts."""

from __future__ import annotations

import ftplib

import pytest

import core.catalog.cameras as cameras
from core.catalog import atomic
from core.catalog.cameras import rotate_camera_password
from ingestd.login_cache import RecentLogins


@pytest.fixture
def argon2_checks(monkeypatch) -> list[str]:
    """Counts the password checks that reach argon2 (the catalog's `check_camera_login`)."""
    calls: list[str] = []
    real = cameras.verify_password

    def counting(password_hash: str, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(cameras, "verify_password", counting)
    return calls


def _login(ftp_connect, username: str, password: str) -> None:
    ftp_connect().login(username, password)


def test_second_login_skips_argon2(ftp_connect, sftp_connect, make_camera, argon2_checks):
    camera = make_camera()
    _login(ftp_connect, camera["username"], camera["password"])
    assert len(argon2_checks) == 1
    _login(ftp_connect, camera["username"], camera["password"])
    sftp_connect(camera).listdir("/")
    assert len(argon2_checks) == 1


def test_wrong_password_is_never_cached(ftp_connect, make_camera, argon2_checks):
    camera = make_camera()
    _login(ftp_connect, camera["username"], camera["password"])
    for _ in range(2):
        with pytest.raises(ftplib.error_perm, match="530 Login incorrect"):
            _login(ftp_connect, camera["username"], camera["password"] + "x")
    assert len(argon2_checks) == 3


def test_rotated_password_refuses_the_old_one_at_once(ftp_connect, make_camera, catalog):
    camera = make_camera()
    _login(ftp_connect, camera["username"], camera["password"])
    new_password = rotate_camera_password(catalog, camera["id"])
    with pytest.raises(ftplib.error_perm, match="530 Login incorrect"):
        _login(ftp_connect, camera["username"], camera["password"])
    _login(ftp_connect, camera["username"], new_password)


def test_suspended_camera_is_refused_at_once(ftp_connect, make_camera, catalog):
    camera = make_camera()
    _login(ftp_connect, camera["username"], camera["password"])
    with atomic(catalog):
        catalog["cameras"].update(camera["id"], {"fairuse_state": "suspended"})
    with pytest.raises(ftplib.error_perm, match="530 Processing suspended"):
        _login(ftp_connect, camera["username"], camera["password"])


def test_cache_expires_and_keeps_no_clear_password():
    now = [100.0]
    logins = RecentLogins(ttl_s=60, clock=lambda: now[0])
    logins.remember("camabc", "secret-password", 7, "$argon2id$hash-1")
    assert logins.matches("camabc", "secret-password", 7, "$argon2id$hash-1")
    assert not logins.matches("camabc", "secret-password", 7, "$argon2id$hash-2")
    assert not logins.matches("camabc", "secret-password", 8, "$argon2id$hash-1")
    assert not logins.matches("camabc", "other-password", 7, "$argon2id$hash-1")
    assert not any(b"secret-password" in key for key in logins._entries)
    now[0] += 61
    assert not logins.matches("camabc", "secret-password", 7, "$argon2id$hash-1")


def test_zero_ttl_turns_the_cache_off():
    logins = RecentLogins(ttl_s=0)
    logins.remember("camabc", "pw", 1, "h")
    assert not logins.matches("camabc", "pw", 1, "h")
