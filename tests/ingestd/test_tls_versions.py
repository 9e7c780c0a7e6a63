"""FTPS TLS versions and ciphers: 1.2 (ECDHE + AEAD suites only) and 1.3 by default, 1.0/1.1 and
their old suites for old firmware when `[ftp] tls_min_version` asks for them."""

from __future__ import annotations

import ftplib
import os
import signal
import ssl
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import tomli_w

from cli import main as cli_main
from core.catalog.login_crypto import camera_login_crypto
from core.legacy_crypto import needs_old_firmware_crypto
from core.settings import ConfigError, load_settings, parse_listen, settings_from_dict
from tests.conftest import REPO
from tests.ingestd.clients import needs_tool
from tests.ingestd.conftest import spooled, wait_until
from tests.loopback import wait_listening


def _curl_tls13_only(ingestd, camera, clip) -> subprocess.CompletedProcess:
    curl = needs_tool("curl")
    host, port = ingestd.ftp.address
    return subprocess.run(
        [
            curl, "-sS", "-v", "--ssl-reqd", "-k", "--tlsv1.3",
            "--user", f"{camera['username']}:{camera['password']}",
            "-T", str(clip), f"ftp://{host}:{port}/A.mp4",
        ],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def _old_firmware_ftps(ingestd, camera) -> ftplib.FTP_TLS:
    """An FTPS client that speaks TLS 1.1 and nothing newer, with the ciphers it had."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1_1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    client = ftplib.FTP_TLS(context=context)
    host, port = ingestd.ftp.address
    client.connect(host, port, timeout=20)
    return client


def test_default_ftps_refuses_tls11_clients(ingestd, make_camera, ingest_settings):
    camera = make_camera()
    client = _old_firmware_ftps(ingestd, camera)
    with pytest.raises(ssl.SSLError):
        client.login(camera["username"], camera["password"])
    client.close()
    assert spooled(ingest_settings) == []


def _start_ingestd(config_file: Path, log: Path, **env: str) -> subprocess.Popen:
    """``python -m ingestd`` as systemd starts it; ``env`` adds to (or, empty, removes from)
    the environment."""
    environment = dict(os.environ, PYTHONPATH=str(REPO), ALARMVAULT_CONFIG=str(config_file))
    environment.pop("OPENSSL_CONF", None)
    environment.update({name: value for name, value in env.items() if value})
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "ingestd"],
            cwd=REPO, env=environment, stdout=output, stderr=output,
        )  # fmt: skip


class _Port:
    """What `_curl_tls13_only` and `_s_client` need of a server running in another process."""

    def __init__(self, settings) -> None:
        self.ftp = self
        self.address = parse_listen(settings.ftp.listen)


def _lftp_mput(port: int, camera, files: list[Path]) -> subprocess.CompletedProcess:
    lftp = needs_tool("lftp")
    script = (
        "set net:max-retries 1; set ftp:ssl-force true; set ftp:ssl-protect-data true;"
        " set ssl:verify-certificate no;"
        f" open -u {camera['username']},{camera['password']} -p {port} 127.0.0.1;"
        f" mput {' '.join(str(file) for file in files)}"
    )
    return subprocess.run(
        [lftp, "-d", "-c", script], capture_output=True, text=True, timeout=240, check=False
    )


@pytest.fixture
def ftps_only_config(settings_dict, request):
    settings_dict["sftp"]["enabled"] = False
    return request.getfixturevalue("config_file")


def test_ingestd_serves_tls13_without_session_tickets_and_lftp_uploads_many_files(
    ftps_only_config, catalog, make_camera, camera_clip, tmp_path
):
    settings = load_settings(ftps_only_config)
    camera = make_camera()
    log = tmp_path / "ingestd.log"
    process = _start_ingestd(ftps_only_config, log)
    try:
        port = _Port(settings)
        wait_listening(process, [port.address[1]], "ingestd", log=log, timeout=60)
        # Until the server closes: tickets would arrive after the handshake.
        handshake = _s_client(port, "-tls1_3", "-msg", "-ign_eof", send="QUIT\r\n")
        assert "221" in handshake.stdout
        assert "New, TLSv1.3, Cipher is TLS_" in handshake.stdout, handshake.stdout[-3000:]
        assert "NewSessionTicket" not in handshake.stdout
        curl = _curl_tls13_only(port, camera, camera_clip)
        assert curl.returncode == 0, curl.stderr
        assert "SSL connection using TLSv1.3" in curl.stderr
        # Tickets made lftp abort about one upload in ten (426 and a retry, or exit 1).
        files = []
        for number in range(60):
            file = tmp_path / f"A_{number:03d}.mp4"
            file.write_bytes(bytes([number]) * 300_000)
            files.append(file)
        lftp = _lftp_mput(port.address[1], camera, files)
        assert lftp.returncode == 0, lftp.stderr[-2000:]
        assert lftp.stderr.count("---> STOR") == 60
        assert "<--- 426" not in lftp.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    assert "TLS 1.2 at most" not in log.read_text()
    used = camera_login_crypto(catalog, camera["id"])
    assert (used["protocol"], used["tls_version"]) == ("ftps", "TLSv1.3")
    names = sorted(meta.original_name for meta, _ in spooled(settings))
    assert names == ["A.mp4", *(file.name for file in files)]


def test_where_openssl_would_send_tickets_tls13_stays_off_and_the_log_says_why(
    ftps_only_config, make_camera, camera_clip, tmp_path
):
    # An admin's own OPENSSL_CONF (here: one without NumTickets) is left alone.
    own_config = tmp_path / "openssl.cnf"
    own_config.write_text("# the admin's OpenSSL settings\n")
    settings = load_settings(ftps_only_config)
    camera = make_camera()
    log = tmp_path / "ingestd.log"
    process = _start_ingestd(ftps_only_config, log, OPENSSL_CONF=str(own_config))
    try:
        port = _Port(settings)
        wait_listening(process, [port.address[1]], "ingestd", log=log, timeout=60)
        assert _curl_tls13_only(port, camera, camera_clip).returncode == 35
        tls12 = _s_client(port, "-tls1_2")
        assert "Protocol  : TLSv1.2" in tls12.stdout, tls12.stderr
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    assert "FTPS offers TLS 1.2 at most: OpenSSL would send TLS 1.3 session tickets" in (
        log.read_text()
    )


def test_tls_min_version_11_lets_old_firmware_upload(
    ingest_settings, catalog, make_camera, camera_clip, request
):
    ingest_settings.ftp.tls_min_version = "1.1"
    ingestd = request.getfixturevalue("ingestd")
    camera = make_camera()
    client = _old_firmware_ftps(ingestd, camera)
    client.login(camera["username"], camera["password"])
    client.prot_p()
    client_cipher = client.sock.cipher()[0]
    assert client.sock.version() == "TLSv1.1"
    with camera_clip.open("rb") as clip:
        assert client.storbinary("STOR A.mp4", clip).startswith("226")
    client.quit()
    # The camera page shows that this camera needs the old TLS.
    assert wait_until(lambda: camera_login_crypto(catalog, camera["id"]) is not None)
    used = camera_login_crypto(catalog, camera["id"])
    assert (used["protocol"], used["tls_version"]) == ("ftps", "TLSv1.1")
    assert used["tls_cipher"] == client_cipher
    [(meta, _clip)] = spooled(ingest_settings)
    assert meta.protocol == "ftps"


def test_tls_min_version_newer_than_max_is_a_settings_error(settings_dict, tmp_path):
    settings_dict["ftp"].update(tls_min_version="1.3", tls_max_version="1.2")
    with pytest.raises(ConfigError, match=r"tls_min_version 1\.3 is newer than tls_max_version"):
        settings_from_dict(settings_dict, tmp_path)


def _s_client(ingestd, *options: str, send: str = "") -> subprocess.CompletedProcess:
    """OpenSSL's client on the FTPS port (AUTH TLS) with ``options``, sending ``send``."""
    openssl = needs_tool("openssl")
    host, port = ingestd.ftp.address
    return subprocess.run(
        [openssl, "s_client", "-starttls", "ftp", "-connect", f"{host}:{port}", *options],
        input=send, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip


def test_default_ftps_takes_only_forward_secret_aead_suites_for_tls12(ingestd):
    static_rsa = _s_client(ingestd, "-tls1_2", "-cipher", "AES128-SHA:AES256-GCM-SHA384")
    assert static_rsa.returncode != 0
    assert "handshake failure" in static_rsa.stderr or "no cipher" in static_rsa.stderr, (
        static_rsa.stderr
    )
    cbc = _s_client(ingestd, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA")
    assert cbc.returncode != 0
    modern = _s_client(ingestd, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
    assert modern.returncode == 0, modern.stderr
    assert "Cipher is ECDHE-RSA-AES128-GCM-SHA256" in modern.stdout


def test_tls_min_version_10_also_takes_old_firmwares_static_rsa_suite(
    ingest_settings, catalog, request
):
    ingest_settings.ftp.tls_min_version = "1.0"
    ingestd = request.getfixturevalue("ingestd")
    result = _s_client(ingestd, "-tls1_2", "-cipher", "AES128-SHA@SECLEVEL=0")
    assert result.returncode == 0, result.stderr
    assert "Cipher is AES128-SHA" in result.stdout


def test_check_config_warns_about_settings_for_old_firmware(settings_dict, tmp_path, capsys):
    config = tmp_path / "alarmvault.toml"
    config.write_bytes(tomli_w.dumps(settings_dict).encode())
    assert cli_main(["--config", str(config), "check-config"]) == 0
    assert "tls_min_version" not in capsys.readouterr().out
    settings_dict["ftp"]["tls_min_version"] = "1.0"
    settings_dict["sftp"]["legacy_algorithms"] = True
    config.write_bytes(tomli_w.dumps(settings_dict).encode())
    assert cli_main(["--config", str(config), "check-config"]) == 0
    out = capsys.readouterr().out
    assert "warning: [ftp] tls_min_version = 1.0: FTPS also accepts TLS 1.0" in out
    assert "warning: [sftp] legacy_algorithms = true: SFTP also offers SHA-1" in out


def _ftps(version: str, cipher: str) -> dict:
    return {"protocol": "ftps", "tls_version": version, "tls_cipher": cipher}


def _sftp(kex: str, host_key: str, cipher: str, mac: str) -> dict:
    return {
        "protocol": "sftp", "ssh_kex": kex, "ssh_host_key_type": host_key,
        "ssh_cipher": cipher, "ssh_mac": mac,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("login", "old"),
    [
        (_ftps("TLSv1.3", "TLS_AES_128_GCM_SHA256"), False),
        (_ftps("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256"), False),
        (_ftps("TLSv1.2", "ECDHE-RSA-CHACHA20-POLY1305"), False),
        (_ftps("TLSv1.2", "AES128-SHA"), True),
        (_ftps("TLSv1.1", "ECDHE-RSA-AES128-SHA"), True),
        (_sftp("curve25519-sha256", "ssh-ed25519", "aes128-ctr", "hmac-sha2-256"), False),
        (_sftp("curve25519-sha256", "ssh-ed25519", "aes128-ctr", "hmac-sha1"), True),
        (_sftp("curve25519-sha256", "ssh-ed25519", "aes256-cbc", "hmac-sha2-256"), True),
        (_sftp("diffie-hellman-group14-sha1", "ssh-rsa", "aes128-ctr", "hmac-sha2-256"), True),
        ({"protocol": "ftp"}, False),
    ],
)
def test_a_login_on_old_firmwares_algorithms_is_told_apart(login, old):
    assert needs_old_firmware_crypto(login) is old
