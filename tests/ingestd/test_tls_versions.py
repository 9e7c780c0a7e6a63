"""FTPS TLS versions: 1.2 by default, 1.3 for TLS-1.3-only clients and 1.0/1.1 for old firmware
when the settings ask for them (`[ftp] tls_max_version`, `tls_min_version`)."""

from __future__ import annotations

import ftplib
import ssl
import subprocess
import warnings

import pytest
import tomli_w

from cli import main as cli_main
from core.settings import ConfigError, settings_from_dict
from tests.ingestd.clients import needs_tool
from tests.ingestd.conftest import spooled


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


def test_default_ftps_refuses_tls13_only_and_tls11_clients(
    ingestd, make_camera, camera_clip, ingest_settings
):
    camera = make_camera()
    result = _curl_tls13_only(ingestd, camera, camera_clip)
    assert result.returncode == 35, result.stderr  # curl: TLS handshake failed
    client = _old_firmware_ftps(ingestd, camera)
    with pytest.raises(ssl.SSLError):
        client.login(camera["username"], camera["password"])
    client.close()
    assert spooled(ingest_settings) == []


def test_tls_max_version_13_lets_a_tls13_only_client_upload(
    ingest_settings, catalog, make_camera, camera_clip, request
):
    ingest_settings.ftp.tls_max_version = "1.3"
    ingestd = request.getfixturevalue("ingestd")
    camera = make_camera()
    result = _curl_tls13_only(ingestd, camera, camera_clip)
    assert result.returncode == 0, result.stderr
    assert "SSL connection using TLSv1.3" in result.stderr
    [(meta, clip)] = spooled(ingest_settings)
    assert meta.protocol == "ftps"
    assert clip.read_bytes() == camera_clip.read_bytes()


def test_tls_min_version_11_lets_old_firmware_upload(
    ingest_settings, catalog, make_camera, camera_clip, request
):
    ingest_settings.ftp.tls_min_version = "1.1"
    ingestd = request.getfixturevalue("ingestd")
    camera = make_camera()
    client = _old_firmware_ftps(ingestd, camera)
    client.login(camera["username"], camera["password"])
    client.prot_p()
    assert client.sock.version() == "TLSv1.1"
    with camera_clip.open("rb") as clip:
        assert client.storbinary("STOR A.mp4", clip).startswith("226")
    client.quit()
    [(meta, _clip)] = spooled(ingest_settings)
    assert meta.protocol == "ftps"


def test_tls_min_version_newer_than_max_is_a_settings_error(settings_dict, tmp_path):
    settings_dict["ftp"]["tls_min_version"] = "1.3"
    with pytest.raises(ConfigError, match=r"tls_min_version 1\.3 is newer than tls_max_version"):
        settings_from_dict(settings_dict, tmp_path)


def _s_client(ingestd, *options: str) -> subprocess.CompletedProcess:
    """OpenSSL's client on the FTPS port (AUTH TLS), offering only ``options``' ciphers."""
    openssl = needs_tool("openssl")
    host, port = ingestd.ftp.address
    return subprocess.run(
        [openssl, "s_client", "-starttls", "ftp", "-connect", f"{host}:{port}", *options],
        input="", capture_output=True, text=True, timeout=30, check=False,
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
