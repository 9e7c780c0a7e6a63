"""Cameras and their upload accounts (one account per camera, shared by FTP, FTPS and SFTP)."""

from __future__ import annotations

from typing import Any

import sqlite_utils

from core.catalog import INTEGRITY_ERRORS, AlreadyExists, NotFound, atomic, utcnow
from core.security import camera_password, camera_username, hash_password, verify_password

Camera = dict[str, Any]


def add_camera(
    db: sqlite_utils.Database, owner_id: int, name: str, model: str
) -> tuple[Camera, str]:
    """Create a camera and its upload account; returns the row and the clear-text password.

    The password is shown once (to type into the camera) and stored only as a hash.
    """
    password = camera_password()
    for _ in range(5):
        try:
            with atomic(db):
                db.table("cameras").insert(
                    {
                        "owner_id": owner_id,
                        "name": name.strip() or "Camera",
                        "model": model,
                        "username": camera_username(),
                        "password_hash": hash_password(password),
                        "enabled": 1,
                        "created_at": utcnow(),
                    }
                )
                camera_id = db.execute("SELECT last_insert_rowid()").fetchone()[0]
            return get_camera(db, camera_id), password
        except INTEGRITY_ERRORS as error:
            if "username" not in str(error):
                raise
    raise AlreadyExists("could not find a free camera user name")


def get_camera(db: sqlite_utils.Database, camera_id: int) -> Camera:
    rows = list(db.query("SELECT * FROM cameras WHERE id = ?", [camera_id]))
    if not rows:
        raise NotFound(f"camera {camera_id}")
    return rows[0]


def find_camera_by_username(db: sqlite_utils.Database, username: str) -> Camera | None:
    rows = list(db.query("SELECT * FROM cameras WHERE username = ?", [username]))
    return rows[0] if rows else None


def list_cameras(db: sqlite_utils.Database, owner_id: int | None = None) -> list[Camera]:
    if owner_id is None:
        return list(db.query("SELECT * FROM cameras ORDER BY id"))
    return list(db.query("SELECT * FROM cameras WHERE owner_id = ? ORDER BY id", [owner_id]))


def check_camera_login(db: sqlite_utils.Database, username: str, password: str) -> Camera | None:
    """The camera whose upload account matches, or None. Same answer time for unknown users."""
    camera = find_camera_by_username(db, username)
    if camera is None:
        # Hash anyway so that an unknown user name takes as long as a wrong password.
        verify_password(_DUMMY_HASH, password)
        return None
    return camera if verify_password(camera["password_hash"], password) else None


def rotate_camera_password(db: sqlite_utils.Database, camera_id: int) -> str:
    password = camera_password()
    set_camera_password(db, camera_id, password)
    return password


def set_camera_password(db: sqlite_utils.Database, camera_id: int, password: str) -> None:
    """Store a new upload password (only its hash): after "set up this camera for me" wrote it
    into the camera, which is the only place it is kept in clear."""
    with atomic(db):
        db.execute(
            "UPDATE cameras SET password_hash = ? WHERE id = ?",
            [hash_password(password), camera_id],
        )


_DUMMY_HASH = hash_password("not-a-real-password")
