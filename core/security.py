"""Password hashing and secret generation, shared by the web login and the camera accounts."""

from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Camera firmware accepts only plain characters in FTP/SFTP passwords and user names.
_CAMERA_ALPHABET = string.ascii_letters + string.digits
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True if ``password`` matches; never raises for a wrong password or a damaged hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def camera_password(length: int = 20) -> str:
    return "".join(secrets.choice(_CAMERA_ALPHABET) for _ in range(length))


def camera_username() -> str:
    suffix = "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(8))
    return f"cam{suffix}"
