"""SSH public keys that let a camera log in over SFTP without its password."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import sqlite_utils

from core.catalog import INTEGRITY_ERRORS, AlreadyExists, atomic, utcnow

CameraKey = dict[str, Any]

# The key types paramiko's server side verifies; others could never log in.
KEY_TYPES = frozenset(
    {
        "ssh-ed25519",
        "ssh-rsa",
        "rsa-sha2-256",
        "rsa-sha2-512",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
    }
)


def parse_public_key_line(line: str) -> tuple[str, str, str | None]:
    """Split an OpenSSH ``authorized_keys`` style line into (type, base64 blob, comment)."""
    parts = line.strip().split(None, 2)
    if len(parts) < 2:
        raise ValueError("expected 'TYPE BASE64 [COMMENT]', as in an .pub file")
    key_type, blob = parts[0], parts[1]
    if key_type not in KEY_TYPES:
        raise ValueError(f"unsupported key type {key_type!r}")
    try:
        base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the key is not valid base64") from None
    return key_type, blob, parts[2] if len(parts) > 2 else None


def add_camera_key(db: sqlite_utils.Database, camera_id: int, public_key_line: str) -> CameraKey:
    key_type, blob, comment = parse_public_key_line(public_key_line)
    try:
        with atomic(db):
            db.table("camera_keys").insert(
                {
                    "camera_id": camera_id,
                    "key_type": key_type,
                    "key_base64": blob,
                    "comment": comment,
                    "created_at": utcnow(),
                }
            )
            key_id = db.execute("SELECT last_insert_rowid()").fetchone()[0]
    except INTEGRITY_ERRORS:
        raise AlreadyExists("this key is registered for the camera already") from None
    return next(db.query("SELECT * FROM camera_keys WHERE id = ?", [key_id]))


def list_camera_keys(db: sqlite_utils.Database, camera_id: int) -> list[CameraKey]:
    return list(db.query("SELECT * FROM camera_keys WHERE camera_id = ? ORDER BY id", [camera_id]))


def camera_has_key(db: sqlite_utils.Database, camera_id: int, key_base64: str) -> bool:
    row = db.execute(
        "SELECT 1 FROM camera_keys WHERE camera_id = ? AND key_base64 = ?", [camera_id, key_base64]
    ).fetchone()
    return row is not None


def remove_camera_key(db: sqlite_utils.Database, camera_id: int, key_id: int) -> None:
    with atomic(db):
        db.execute("DELETE FROM camera_keys WHERE camera_id = ? AND id = ?", [camera_id, key_id])
