"""Old camera firmware's SSH (libssh2 <= 1.8): only ssh-rsa host keys and SHA-1 key exchange.
Refused by default; `[sftp] legacy_algorithms` lets it in. OpenSSH's client, limited to those
two algorithms, stands in for such firmware."""

from __future__ import annotations

import logging
import threading

import pytest

from tests.ingestd.clients import openssh_sftp, registered_key_file
from tests.ingestd.conftest import spooled, wait_until

LEGACY_ONLY = (
    "-v", "-o", "HostKeyAlgorithms=ssh-rsa", "-o", "KexAlgorithms=diffie-hellman-group14-sha1",
)  # fmt: skip


@pytest.fixture
def rsa_host_key_settings(ingest_settings, server_keys):
    # ssh-rsa needs an RSA host key; the session's keys folder holds one next to the Ed25519.
    ingest_settings.sftp.host_key = server_keys["host_key"].parent / "ssh_host_rsa_key"
    assert ingest_settings.sftp.host_key.is_file()
    return ingest_settings


@pytest.mark.parametrize("legacy", [False, True])
def test_sha1_only_client_connects_only_with_legacy_algorithms_on(
    legacy, rsa_host_key_settings, catalog, make_camera, camera_clip, tmp_path, request, caplog
):
    rsa_host_key_settings.sftp.legacy_algorithms = legacy
    # paramiko leaves the handshake timer of a refused key exchange running until it expires.
    rsa_host_key_settings.sftp.login_timeout_s = 2
    ingestd = request.getfixturevalue("ingestd")
    camera = make_camera()
    key_file = registered_key_file(catalog, camera, tmp_path)
    with caplog.at_level(logging.INFO):
        result = openssh_sftp(
            ingestd, camera, f"put {camera_clip} A_legacy.mp4\n", tmp_path, *LEGACY_ONLY,
            "-i", str(key_file), "-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no",
        )  # fmt: skip
    if not legacy:
        assert result.returncode != 0
        assert "no matching" in result.stderr
        assert spooled(rsa_host_key_settings) == []
        assert wait_until(
            lambda: not any(isinstance(t, threading.Timer) for t in threading.enumerate()), 10
        )
        return
    assert result.returncode == 0, result.stderr
    assert "kex: algorithm: diffie-hellman-group14-sha1" in result.stderr
    assert "kex: host key algorithm: ssh-rsa" in result.stderr
    [(_meta, clip)] = spooled(rsa_host_key_settings)
    assert clip.read_bytes() == camera_clip.read_bytes()


def test_legacy_algorithms_on_still_gives_modern_clients_modern_ones(
    rsa_host_key_settings, catalog, make_camera, camera_clip, tmp_path, request
):
    rsa_host_key_settings.sftp.legacy_algorithms = True
    ingestd = request.getfixturevalue("ingestd")
    camera = make_camera()
    key_file = registered_key_file(catalog, camera, tmp_path)
    result = openssh_sftp(
        ingestd, camera, f"put {camera_clip} A_modern.mp4\n", tmp_path, "-v",
        "-i", str(key_file), "-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "kex: host key algorithm: rsa-sha2-512" in result.stderr
    assert (
        "diffie-hellman-group14-sha1"
        not in result.stderr.split("kex: algorithm:")[1].split("\n")[0]
    )
