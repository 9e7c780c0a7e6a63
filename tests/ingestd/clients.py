"""Real client programs for ingestd's tests: finding them, and running OpenSSH's sftp."""

from __future__ import annotations

import ftplib
import io
import shutil
import subprocess

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from core.catalog.camera_keys import add_camera_key


def needs_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (scripts/install-sysdeps installs it)")
    return path


def registered_key_file(catalog, camera: dict, tmp_path, comment: str = ""):
    """A fresh Ed25519 key for OpenSSH's client, its public half registered for ``camera``."""
    private_key = ed25519.Ed25519PrivateKey.generate()
    key_file = tmp_path / "camera_key"
    key_file.write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    public = private_key.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    add_camera_key(catalog, camera["id"], public.decode() + comment)
    return key_file


def openssh_sftp(ingestd, camera, batch: str, tmp_path, *extra: str, env=None):
    sftp = shutil.which("sftp")
    if sftp is None:
        pytest.skip("OpenSSH's sftp is not installed (scripts/install-sysdeps installs it)")
    host, port = ingestd.sftp.address
    batch_file = tmp_path / "batch"
    batch_file.write_text(batch)
    return subprocess.run(
        [
            sftp, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", *extra, "-b", str(batch_file), "-P", str(port),
            f"{camera['username']}@{host}",
        ],
        capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL,
        env=env, start_new_session=True,
    )  # fmt: skip


def ftp_login_fails(address, username: str, password: str, match: str = "530") -> None:
    """One ftplib login that must be refused with a reply matching ``match``."""
    ftp = ftplib.FTP()
    try:
        ftp.connect(*address, timeout=10)
        with pytest.raises(ftplib.error_perm, match=match):
            ftp.login(username, password)
    finally:
        ftp.close()


def ftp_upload(address, camera: dict, name: str) -> None:
    with ftplib.FTP() as ftp:
        ftp.connect(*address, timeout=10)
        ftp.login(camera["username"], camera["password"])
        ftp.storbinary(f"STOR {name}", io.BytesIO(b"clip"))


def sftp_upload(address, camera: dict, name: str) -> None:
    transport = paramiko.Transport(address)
    try:
        transport.connect(username=camera["username"], password=camera["password"])
        sftp = paramiko.SFTPClient.from_transport(transport)
        sftp.putfo(io.BytesIO(b"clip"), name, confirm=False)
        sftp.close()
    finally:
        transport.close()
