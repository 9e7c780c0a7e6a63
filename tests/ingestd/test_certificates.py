"""FTPS certificates a verifying camera accepts: the generated one names the configured host,
and a renewed admin certificate is used for new connections without dropping open uploads."""

from __future__ import annotations

import datetime
import ftplib
import io
import ipaddress
import signal
import subprocess
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from core.certificates import names_in_certificate
from core.settings import load_settings, parse_listen
from ingestd.ftp.service import TLS_RELOAD_CHECK_S
from ingestd.keys import TLS_CERT_NAME, ensure_tls_certificate
from tests.ingestd.clients import needs_tool
from tests.ingestd.conftest import jail_files, spooled, wait_until
from tests.ingestd.test_process import START_TIMEOUT_S, _start
from tests.loopback import wait_listening

HOST = "cams.example.net"


def _curl_verifying(ingestd, camera, clip, cacert: Path, name: str) -> subprocess.CompletedProcess:
    """curl as a camera with ft_insecure=0: it checks the certificate against ``name``."""
    return _curl_verifying_port(ingestd.ftp.address[1], camera, clip, cacert, name)


def _curl_verifying_port(
    port: int, camera, clip, cacert: Path, name: str
) -> subprocess.CompletedProcess:
    curl = needs_tool("curl")
    return subprocess.run(
        [
            curl, "-sS", "--ssl-reqd", "--cacert", str(cacert),
            "--resolve", f"{name}:{port}:127.0.0.1",
            "--user", f"{camera['username']}:{camera['password']}",
            "-T", str(clip), f"ftp://{name}:{port}/{name}.mp4",
        ],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_generated_certificate_is_valid_for_the_configured_host_name(
    ingest_settings, catalog, make_camera, camera_clip, request
):
    # The generated certificate, not the session's shared one.
    ingest_settings.ftp.tls_cert = ingest_settings.ftp.tls_key = None
    ingest_settings.ftp.tls_hostnames = [HOST, "192.0.2.7"]
    # The camera page gives cameras the public URL's host when there is no NAT address.
    ingest_settings.web.public_url = "https://video.example.org/"
    ingestd = request.getfixturevalue("ingestd")
    cert = ingest_settings.storage.keys_dir / TLS_CERT_NAME
    assert {HOST, "192.0.2.7", "video.example.org", "localhost", "127.0.0.1"} <= (
        names_in_certificate(cert)
    )
    camera = make_camera()
    result = _curl_verifying(ingestd, camera, camera_clip, cert, HOST)
    assert result.returncode == 0, result.stderr
    # A name the certificate was not made for fails verification, as it must.
    result = _curl_verifying(ingestd, camera, camera_clip, cert, "other.example.net")
    assert result.returncode == 60, result.stderr
    assert [meta.original_name for meta, _ in spooled(ingest_settings)] == [f"{HOST}.mp4"]


def admin_certificate(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for ``name``, as an admin (or certbot) would put in place."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=90))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(name), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_file, key_file = folder / "fullchain.pem", folder / "privkey.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return cert_file, key_file


def test_a_renewed_certificate_serves_new_connections_and_open_uploads_go_on(
    ingest_settings, catalog, make_camera, camera_clip, request, tmp_path
):
    live = tmp_path / "letsencrypt" / "live"
    first = admin_certificate(tmp_path / "first", HOST)
    live.mkdir(parents=True)
    (live / "fullchain.pem").symlink_to(first[0])
    (live / "privkey.pem").symlink_to(first[1])
    ingest_settings.ftp.tls_cert = live / "fullchain.pem"
    ingest_settings.ftp.tls_key = live / "privkey.pem"
    ingestd = request.getfixturevalue("ingestd")
    camera = make_camera()
    assert _curl_verifying(ingestd, camera, camera_clip, first[0], HOST).returncode == 0
    # A session opened before the renewal ...
    open_session = ftplib.FTP_TLS()
    open_session.connect(*ingestd.ftp.address, timeout=20)
    open_session.login(camera["username"], camera["password"])
    open_session.prot_p()
    # ... certbot renews: the live/ links now point at new files.
    second = admin_certificate(tmp_path / "second", HOST)
    for link, target in zip((live / "fullchain.pem", live / "privkey.pem"), second, strict=True):
        link.unlink()
        link.symlink_to(target)
    reloaded: list[bool] = []
    ingestd.ftp.bridge.call_soon(lambda: reloaded.append(ingestd.ftp.reload_tls()))
    assert wait_until(lambda: reloaded == [True])
    # New connections get the new certificate, the old one no longer verifies.
    assert _curl_verifying(ingestd, camera, camera_clip, second[0], HOST).returncode == 0
    assert _curl_verifying(ingestd, camera, camera_clip, first[0], HOST).returncode == 60
    # The session from before still uploads (its data connection too).
    assert open_session.storbinary("STOR before.mp4", io.BytesIO(b"x" * 1000)).startswith("226")
    open_session.quit()
    # Two curl uploads that verified, and the one of the session from before.
    names = sorted(meta.original_name for meta, _ in spooled(ingest_settings))
    assert names == ["before.mp4", f"{HOST}.mp4", f"{HOST}.mp4"]


def test_sighup_loads_a_replaced_certificate_while_an_upload_runs_on(
    settings_dict, make_camera, camera_clip, request, tmp_path
):
    # certbot's deploy hook (`systemctl reload`, i.e. SIGHUP) after it replaced the files.
    cert_file, key_file = admin_certificate(tmp_path / "live", HOST)
    first_cert = tmp_path / "first.pem"
    first_cert.write_bytes(cert_file.read_bytes())
    settings_dict["ftp"].update(tls_cert=str(cert_file), tls_key=str(key_file))
    settings_dict["sftp"]["enabled"] = False
    config_file = request.getfixturevalue("config_file")
    settings = load_settings(config_file)
    camera = make_camera()
    log = tmp_path / "ingestd.log"
    started = time.monotonic()
    process = _start(config_file, log)
    try:
        _host, port = parse_listen(settings.ftp.listen)
        wait_listening(process, [port], "ingestd", log=log, timeout=START_TIMEOUT_S)
        assert _curl_verifying_port(port, camera, camera_clip, first_cert, HOST).returncode == 0
        # An upload under way ...
        running = ftplib.FTP_TLS()
        running.connect("127.0.0.1", port, timeout=20)
        running.login(camera["username"], camera["password"])
        running.prot_p()
        running.voidcmd("TYPE I")
        clip = camera_clip.read_bytes()
        data = running.transfercmd("STOR running.mp4")
        data.sendall(clip[: len(clip) // 2])
        assert wait_until(lambda: any(p.stat().st_size for p in jail_files(settings)))
        # ... while the certificate is replaced in place and ingestd told so.
        admin_certificate(tmp_path / "live", HOST)
        process.send_signal(signal.SIGHUP)
        assert wait_until(lambda: "FTPS certificate reloaded" in log.read_text())
        # The reload came from the signal, not from the periodic check.
        assert time.monotonic() - started < TLS_RELOAD_CHECK_S
        data.sendall(clip[len(clip) // 2 :])
        data.unwrap()
        data.close()
        assert running.voidresp().startswith("226")
        running.quit()
        # A new connection gets the new certificate; the old one no longer verifies it.
        assert _curl_verifying_port(port, camera, camera_clip, cert_file, HOST).returncode == 0
        assert _curl_verifying_port(port, camera, camera_clip, first_cert, HOST).returncode == 60
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    uploads = sorted((meta.original_name, path) for meta, path in spooled(settings))
    # curl before and after the reload; the one that trusted the old certificate sent nothing.
    assert [name for name, _ in uploads] == [f"{HOST}.mp4", f"{HOST}.mp4", "running.mp4"]
    assert uploads[-1][1].read_bytes() == clip


def test_the_generated_certificate_is_made_again_when_the_names_change(ingest_settings):
    ingest_settings.ftp.tls_cert = ingest_settings.ftp.tls_key = None
    ingest_settings.ftp.tls_hostnames = [HOST]
    cert, _key = ensure_tls_certificate(ingest_settings)
    first = cert.read_bytes()
    assert ensure_tls_certificate(ingest_settings)[0].read_bytes() == first  # kept as it is
    # The admin moves the cameras to a new name, and ingestd restarts.
    ingest_settings.ftp.masquerade_address = "198.51.100.9"
    ingest_settings.ftp.tls_hostnames = ["cams.example.org"]
    cert, _key = ensure_tls_certificate(ingest_settings)
    assert cert.read_bytes() != first
    assert {"cams.example.org", "198.51.100.9"} <= names_in_certificate(cert)
