"""Old camera firmware's SSH (libssh2 <= 1.8): only ssh-rsa host keys and SHA-1 key exchange.
Refused by default; `[sftp] legacy_algorithms` lets it in. OpenSSH's client, limited to those
two algorithms, stands in for such firmware."""

from __future__ import annotations

import logging
import threading

import pytest

from core.catalog.login_crypto import camera_login_crypto
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
    # The camera page can tell the owner that this camera needs the legacy setting.
    assert wait_until(lambda: camera_login_crypto(catalog, camera["id"]) is not None)
    used = camera_login_crypto(catalog, camera["id"])
    assert used["protocol"] == "sftp"
    assert used["ssh_kex"] == "diffie-hellman-group14-sha1"
    assert used["ssh_host_key_type"] == "ssh-rsa"


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
    assert wait_until(lambda: camera_login_crypto(catalog, camera["id"]) is not None)
    used = camera_login_crypto(catalog, camera["id"])
    assert used["ssh_host_key_type"] == "rsa-sha2-512"
    assert used["ssh_kex"] in result.stderr.split("kex: algorithm: ")[1].split("\n")[0]
    assert (
        "diffie-hellman-group14-sha1"
        not in result.stderr.split("kex: algorithm:")[1].split("\n")[0]
    )


def _server_proposal(stderr: str) -> dict[str, list[str]]:
    """What the server offered, from OpenSSH's ``-vv`` dump of its KEXINIT."""
    server_part = stderr.split("peer server KEXINIT proposal")[1]
    offered = {}
    for name in ("KEX algorithms", "host key algorithms", "ciphers stoc", "MACs stoc"):
        line = server_part.split(f"debug2: {name}: ")[1].split("\n")[0]
        offered[name] = line.split(",")
    return offered


def test_default_sftp_offers_no_cbc_3des_md5_or_sha1(
    ingest_settings, catalog, make_camera, tmp_path, request, caplog
):
    # paramiko leaves the handshake timer of a refused key exchange running until it expires.
    ingest_settings.sftp.login_timeout_s = 2
    ingestd = request.getfixturevalue("ingestd")
    camera = make_camera()
    key_file = registered_key_file(catalog, camera, tmp_path)
    key_login = ("-i", str(key_file), "-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no")
    result = openssh_sftp(ingestd, camera, "pwd\n", tmp_path, "-vv", *key_login)
    assert result.returncode == 0, result.stderr
    offered = _server_proposal(result.stderr)
    weak = [
        name
        for names in offered.values()
        for name in names
        if "cbc" in name or "md5" in name or "sha1" in name or name == "ssh-rsa"
    ]
    assert weak == [], offered
    assert "aes128-gcm@openssh.com" in offered["ciphers stoc"]
    assert "hmac-sha2-256-etm@openssh.com" in offered["MACs stoc"]
    # A client that insists on one of them is refused.
    for option, refusal in (
        ("Ciphers=aes128-cbc", "no acceptable ciphers"),
        ("Ciphers=3des-cbc", "no acceptable ciphers"),
        ("MACs=hmac-sha1", "no acceptable macs"),
    ):
        forced = ("-o", "Ciphers=aes128-ctr") if option.startswith("MACs") else ()
        caplog.clear()
        with caplog.at_level(logging.INFO):
            refused = openssh_sftp(
                ingestd, camera, "pwd\n", tmp_path, *forced, "-o", option, *key_login
            )
        assert refused.returncode == 255, option
        assert refusal in caplog.text.lower(), caplog.text
    assert wait_until(
        lambda: not any(isinstance(t, threading.Timer) for t in threading.enumerate()), 10
    )


def test_legacy_algorithms_let_an_aes_cbc_hmac_sha1_client_upload(
    ingest_settings, catalog, make_camera, camera_clip, tmp_path, request
):
    ingest_settings.sftp.legacy_algorithms = True
    ingestd = request.getfixturevalue("ingestd")
    camera = make_camera()
    key_file = registered_key_file(catalog, camera, tmp_path)
    result = openssh_sftp(
        ingestd, camera, f"put {camera_clip} A_cbc.mp4\n", tmp_path, "-v",
        "-o", "Ciphers=aes128-cbc", "-o", "MACs=hmac-sha1",
        "-i", str(key_file), "-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "cipher: aes128-cbc MAC: hmac-sha1" in result.stderr
    assert wait_until(lambda: camera_login_crypto(catalog, camera["id"]) is not None)
    used = camera_login_crypto(catalog, camera["id"])
    assert (used["ssh_cipher"], used["ssh_mac"]) == ("aes128-cbc", "hmac-sha1")
    [(_meta, clip)] = spooled(ingest_settings)
    assert clip.read_bytes() == camera_clip.read_bytes()
