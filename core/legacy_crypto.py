"""What ``alarmvault check-config`` says about settings that let old camera firmware's weak
crypto in (`[ftp] tls_min_version` below 1.2, `[sftp] legacy_algorithms`)."""

from __future__ import annotations

from core.settings import Settings


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
