"""The server's own keys: the FTPS certificate and the SSH host keys, generated once.

Cameras do not verify certificates (`ft_insecure`), but a key that changes on every restart
would still break clients that pin it, so a generated key is written to ``keys_dir`` and reused.
"""

from __future__ import annotations

import datetime
import ipaddress
import logging
import os
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.x509.oid import NameOID

from core.certificates import names_in_certificate
from core.settings import Settings

logger = logging.getLogger(__name__)

TLS_CERT_NAME = "ftps-cert.pem"
TLS_KEY_NAME = "ftps-key.pem"
SSH_HOST_KEY_NAMES = ("ssh_host_ed25519_key", "ssh_host_rsa_key")
CERT_VALID_DAYS = 3650


def _write_private(path: Path, data: bytes) -> None:
    """Write a secret readable by the owner only; via a temp file so a crash leaves no half key."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def certificate_names(settings: Settings) -> set[str]:
    """What a generated certificate must be valid for: localhost, the configured host names, the
    address announced behind NAT and the public URL's host (the camera page gives cameras the
    NAT address, else that host, as their server)."""
    names = {"localhost", "127.0.0.1", *settings.ftp.tls_hostnames}
    if settings.ftp.masquerade_address:
        names.add(settings.ftp.masquerade_address)
    public_host = urlsplit(settings.web.public_url).hostname if settings.web.public_url else None
    if public_host:
        names.add(public_host)
    return {name.strip().lower() for name in names if name.strip()}


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def ensure_tls_certificate(settings: Settings) -> tuple[Path, Path]:
    """(certificate, key) for FTPS: from ``[ftp] tls_cert``/``tls_key``, else self-signed once."""
    if settings.ftp.tls_cert:
        cert = settings.ftp.tls_cert
        key = settings.ftp.tls_key or cert
        for path in (cert, key):
            if not path.is_file():
                raise FileNotFoundError(f"[ftp] TLS file {path} does not exist")
        return cert, key
    keys_dir = settings.storage.keys_dir
    cert, key = keys_dir / TLS_CERT_NAME, keys_dir / TLS_KEY_NAME
    wanted = certificate_names(settings)
    if cert.is_file() and key.is_file():
        missing = wanted - names_in_certificate(cert)
        if not missing:
            return cert, key
        logger.info(
            "the self-signed FTPS certificate is not valid for %s: making a new one",
            ", ".join(sorted(missing)),
        )
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "AlarmVault upload server")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=CERT_VALID_DAYS))
        .add_extension(
            x509.SubjectAlternativeName([_general_name(name) for name in sorted(wanted)]),
            critical=False,
        )
        .sign(private_key, hashes.SHA256())
    )
    _write_private(
        key,
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    _write_private(cert, certificate.public_bytes(serialization.Encoding.PEM))
    logger.info("generated a self-signed FTPS certificate in %s", keys_dir)
    return cert, key


def ensure_ssh_host_keys(settings: Settings) -> list[Path]:
    """Host key files for SFTP: ``[sftp] host_key``, else an Ed25519 and an RSA key made once.

    Both kinds, because older camera firmware may know RSA only.
    """
    if settings.sftp.host_key:
        if not settings.sftp.host_key.is_file():
            raise FileNotFoundError(f"[sftp] host_key {settings.sftp.host_key} does not exist")
        return [settings.sftp.host_key]
    keys_dir = settings.storage.keys_dir
    paths = [keys_dir / name for name in SSH_HOST_KEY_NAMES]
    for path in paths:
        if path.is_file():
            continue
        private_key: ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey
        if "ed25519" in path.name:
            private_key = ed25519.Ed25519PrivateKey.generate()
        else:
            private_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        _write_private(
            path,
            private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.OpenSSH,
                serialization.NoEncryption(),
            ),
        )
        logger.info("generated SSH host key %s", path.name)
    return paths
