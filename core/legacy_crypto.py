"""Old camera firmware's weak crypto: what ``alarmvault check-config`` says about the settings
that let it in (`[ftp] tls_min_version` below 1.2, `[sftp] legacy_algorithms`), and whether a
camera's last login needed them (the camera page)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.settings import Settings
from core.settings.sftp import LEGACY_SSH_CIPHERS, LEGACY_SSH_MACS

# SHA-1 key exchanges an old SSH client may agree on (only group14-sha1 is ever offered).
LEGACY_SSH_KEX = frozenset({"diffie-hellman-group14-sha1", "diffie-hellman-group1-sha1"})


def legacy_crypto_warnings(settings: Settings) -> list[str]:
    """One line per setting that weakens FTPS or SFTP for every camera, not only old ones."""
    warnings = []
    if settings.ftp.tls_min_version in ("1.0", "1.1"):
        warnings.append(
            f"[ftp] tls_min_version = {settings.ftp.tls_min_version}: FTPS also accepts TLS "
            f"{settings.ftp.tls_min_version} with CBC and static-RSA ciphers (no forward "
            "secrecy); keep it only while a camera's firmware knows nothing newer"
        )
    if settings.sftp.legacy_algorithms:
        warnings.append(
            "[sftp] legacy_algorithms = true: SFTP also offers SHA-1 (ssh-rsa, "
            "diffie-hellman-group14-sha1, hmac-sha1) and AES-CBC; keep it only while a "
            "camera's firmware needs them (the camera page shows what each camera used)"
        )
    return warnings


def needs_old_firmware_crypto(login: Mapping[str, Any]) -> bool:
    """Whether a login (a `core.catalog.login_crypto` row) used what only the settings for old
    firmware allow: TLS below 1.2 or a TLS 1.2 suite without ECDHE + AEAD; SHA-1 key exchange,
    ssh-rsa signatures, CBC or hmac-sha1 over SSH."""
    if login["protocol"] == "ftps":
        version, cipher = login["tls_version"] or "", login["tls_cipher"] or ""
        if version == "TLSv1.3":
            return False
        modern_suite = cipher.startswith("ECDHE-") and ("GCM" in cipher or "CHACHA20" in cipher)
        return not (version == "TLSv1.2" and modern_suite)
    if login["protocol"] == "sftp":
        return (
            login["ssh_kex"] in LEGACY_SSH_KEX
            or login["ssh_host_key_type"] == "ssh-rsa"
            or login["ssh_cipher"] in LEGACY_SSH_CIPHERS
            or login["ssh_mac"] in LEGACY_SSH_MACS
        )
    return False
