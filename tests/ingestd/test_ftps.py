"""FTPS with explicit TLS on the FTP port, driven by ftplib, curl and lftp."""

from __future__ import annotations

import ftplib
import io
import logging
import socket
import struct
import subprocess

import pytest

from core.catalog.login_crypto import camera_login_crypto
from ingestd.daemon import IngestDaemon
from ingestd.keys import TLS_CERT_NAME, ensure_tls_certificate
from tests.ingestd.clients import needs_tool
from tests.ingestd.conftest import jail_files, spooled, wait_until


def test_ftp_tls_upload_is_spooled_as_ftps(
    ftp_connect, make_camera, camera_clip, ingest_settings, catalog
):
    camera = make_camera()
    ftp = ftp_connect(camera, tls=True)
    ftp.mkd("20240501")
    with camera_clip.open("rb") as clip:
        assert ftp.storbinary("STOR 20240501/A1.mp4", clip).startswith("226")
    [(meta, clip)] = spooled(ingest_settings)
    assert meta.protocol == "ftps"
    assert clip.read_bytes() == camera_clip.read_bytes()
    # What the login used, for the camera page.
    assert wait_until(lambda: camera_login_crypto(catalog, camera["id"]) is not None)
    used = camera_login_crypto(catalog, camera["id"])
    assert used["protocol"] == "ftps"
    assert (used["tls_version"], used["tls_cipher"]) == (ftp.sock.version(), ftp.sock.cipher()[0])
    assert used["ssh_kex"] is None


def test_plain_ftp_login_is_noted_as_unencrypted(ftp_connect, make_camera, catalog):
    camera = make_camera()
    ftp_connect(camera).quit()
    assert wait_until(lambda: camera_login_crypto(catalog, camera["id"]) is not None)
    used = camera_login_crypto(catalog, camera["id"])
    assert (used["protocol"], used["tls_version"], used["tls_cipher"]) == ("ftp", None, None)


def test_curl_ssl_reqd_upload(ingestd, make_camera, camera_clip, ingest_settings):
    curl = needs_tool("curl")
    camera = make_camera()
    host, port = ingestd.ftp.address
    result = subprocess.run(
        [
            curl, "--silent", "--show-error", "--ssl-reqd", "-k", "--ftp-create-dirs",
            "--user", f"{camera['username']}:{camera['password']}",
            "-T", str(camera_clip), f"ftp://{host}:{port}/instar/20240501/A_curl.mp4",
        ],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [(meta, clip)] = spooled(ingest_settings)
    assert meta.protocol == "ftps"
    assert meta.original_path == "instar/20240501/A_curl.mp4"
    assert clip.read_bytes() == camera_clip.read_bytes()


def test_lftp_upload_with_tls(ingestd, make_camera, camera_clip, ingest_settings, tmp_path):
    lftp = needs_tool("lftp")
    camera = make_camera()
    host, port = ingestd.ftp.address
    script = tmp_path / "upload.lftp"
    script.write_text(
        "set ssl:verify-certificate no\n"
        "set ftp:ssl-force true\n"
        "set ftp:ssl-protect-data true\n"
        "set net:max-retries 1\n"
        f"open -u {camera['username']},{camera['password']} -p {port} {host}\n"
        "mkdir -p 20240501\n"
        "cd 20240501\n"
        f"put {camera_clip} -o A_lftp.mp4\n"
        "bye\n"
    )
    result = subprocess.run(
        [lftp, "-f", str(script)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    [(meta, clip)] = spooled(ingest_settings)
    assert meta.protocol == "ftps"
    assert meta.original_path == "20240501/A_lftp.mp4"
    assert clip.stat().st_size == camera_clip.stat().st_size, result.stderr + result.stdout
    assert clip.read_bytes() == camera_clip.read_bytes()


def test_reset_tls_data_connection_is_refused_not_spooled(
    ftp_connect, make_camera, camera_clip, ingest_settings
):
    # pyftpdlib's TLS layer reports a reset past any handle_close override of ours; a reset
    # upload must still end in 426, with nothing half-received reaching the pipeline.
    camera = make_camera()
    ftp = ftp_connect(camera, tls=True)
    ftp.voidcmd("TYPE I")
    data = ftp.transfercmd("STOR cut.mp4")
    data.sendall(camera_clip.read_bytes()[:300_000])
    assert wait_until(lambda: any(p.stat().st_size for p in jail_files(ingest_settings)))
    data.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    data.close()
    with pytest.raises(ftplib.error_temp, match="426"):
        ftp.voidresp()
    assert wait_until(lambda: jail_files(ingest_settings) == [])
    assert spooled(ingest_settings) == []


def test_tls_data_connection_closed_without_close_notify_goes_to_the_whole_file_check(
    ftp_connect, make_camera, camera_clip, ingest_settings, caplog
):
    # A client that dies ends TCP without TLS close_notify, but so does wput after a whole
    # upload: the end cannot be trusted, so it is handed over as a plain-FTP upload is, and the
    # pipeline's whole-file check decides (tests/e2e/test_cut_off_uploads.py: truncated).
    camera = make_camera()
    ftp = ftp_connect(camera, tls=True)
    ftp.voidcmd("TYPE I")
    clip = camera_clip.read_bytes()
    with caplog.at_level(logging.INFO, logger="ingestd"):
        data = ftp.transfercmd("STOR cut.mp4")
        data.sendall(clip[: len(clip) // 3])
        # SSLSocket.close() sends a TCP FIN but no close_notify (only unwrap() would).
        data.close()
        assert ftp.voidresp().startswith("226")
    assert "ftps upload ended without TLS close_notify: the whole-file check decides" in (
        caplog.text
    )
    [(meta, spooled_clip)] = spooled(ingest_settings)
    assert (meta.original_name, spooled_clip.stat().st_size) == ("cut.mp4", len(clip) // 3)
    # An upload that ends with close_notify is not mistaken for one.
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="ingestd"):
        assert ftp.storbinary("STOR whole.mp4", io.BytesIO(clip)).startswith("226")
    assert "close_notify" not in caplog.text


def test_require_tls_refuses_plain_login_with_a_clear_reply(ingest_settings, catalog, make_camera):
    ingest_settings.ftp.require_tls = True
    ingest_settings.sftp.enabled = False
    camera = make_camera()
    daemon = IngestDaemon(ingest_settings)
    daemon.start()
    try:
        plain = ftplib.FTP()
        plain.connect(*daemon.ftp.address, timeout=10)
        with pytest.raises(ftplib.error_perm, match="530 TLS required: send AUTH TLS first"):
            plain.login(camera["username"], camera["password"])
        plain.close()
        secure = ftplib.FTP_TLS()
        secure.connect(*daemon.ftp.address, timeout=10)
        secure.login(camera["username"], camera["password"])
        secure.prot_p()
        secure.storbinary("STOR clip.mp4", io.BytesIO(b"clip bytes"))
        secure.quit()
    finally:
        daemon.stop()
    assert [m.protocol for m, _ in spooled(ingest_settings)] == ["ftps"]


def test_self_signed_certificate_is_generated_once_and_kept(settings):
    settings.ftp.tls_cert = None
    cert, key = ensure_tls_certificate(settings)
    assert cert == settings.storage.keys_dir / TLS_CERT_NAME
    assert key.stat().st_mode & 0o077 == 0
    first = cert.read_bytes()
    assert ensure_tls_certificate(settings) == (cert, key)
    assert cert.read_bytes() == first


def test_missing_configured_certificate_is_a_clear_error(settings, tmp_path):
    settings.ftp.tls_cert = tmp_path / "nope.pem"
    with pytest.raises(FileNotFoundError, match=r"nope\.pem does not exist"):
        ensure_tls_certificate(settings)
