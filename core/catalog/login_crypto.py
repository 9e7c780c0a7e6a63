"""Which algorithms a camera's last login used: TLS version and cipher for FTPS; key exchange,
cipher, MAC and host key type for SFTP. Written by ingestd, shown on the camera page."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import sqlite_utils

from core.catalog import INTEGRITY_ERRORS, atomic, utcnow


@dataclass(frozen=True)
class LoginCrypto:
    protocol: str  # ftp, ftps, sftp (as in the spool's upload records)
    tls_version: str | None = None
    tls_cipher: str | None = None
    ssh_kex: str | None = None
    ssh_cipher: str | None = None
    ssh_mac: str | None = None
    ssh_host_key_type: str | None = None


_COLUMNS = tuple(LoginCrypto.__dataclass_fields__)


def record_login_crypto(db: sqlite_utils.Database, camera_id: int, crypto: LoginCrypto) -> bool:
    """Store what ``camera_id`` logged in with; False when the camera is gone meanwhile."""
    row: dict[str, Any] = {"camera_id": camera_id, **asdict(crypto), "seen_at": utcnow()}
    names = ", ".join(row)
    updates = ", ".join(f"{name} = excluded.{name}" for name in row if name != "camera_id")
    try:
        with atomic(db):
            db.execute(
                f"INSERT INTO camera_login_crypto ({names})"  # noqa: S608 - fixed column names
                f" VALUES ({', '.join('?' for _ in row)})"
                f" ON CONFLICT (camera_id) DO UPDATE SET {updates}",
                list(row.values()),
            )
    except INTEGRITY_ERRORS:
        return False  # deleted while logging in: its row would point nowhere
    return True


def camera_login_crypto(db: sqlite_utils.Database, camera_id: int) -> dict[str, Any] | None:
    """The algorithms of ``camera_id``'s last login (with ``seen_at``), None before any."""
    rows = list(
        db.query(
            f"SELECT {', '.join(_COLUMNS)}, seen_at FROM camera_login_crypto"  # noqa: S608
            " WHERE camera_id = ?",
            [camera_id],
        )
    )
    return rows[0] if rows else None
