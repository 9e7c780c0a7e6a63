"""Secrets AlarmVault must use again later (a camera's login, a webhook's URL and signing key),
encrypted at rest with Fernet.

The key comes from systemd's CREDENTIALS_DIRECTORY (file ``integrations_key``) or from a key
file generated once (0600) in ``<data_dir>/keys``. Losing the key makes the sealed values
unreadable; owners then enter them again.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from pipeline.settings import Settings

logger = logging.getLogger(__name__)

CREDENTIAL_NAME = "integrations_key"


class SealBroken(Exception):
    """A sealed value cannot be opened (another key, or damaged)."""


class CredentialBox:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    def seal(self, value: dict[str, Any]) -> str:
        return self._fernet.encrypt(json.dumps(value, sort_keys=True).encode()).decode("ascii")

    def open(self, sealed: str) -> dict[str, Any]:
        try:
            return json.loads(self._fernet.decrypt(sealed.encode("ascii")))
        except (InvalidToken, ValueError) as error:
            raise SealBroken("a stored secret cannot be decrypted with this key") from error


def load_credential_box(settings: Settings) -> CredentialBox:
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    if credentials:
        path = Path(credentials) / CREDENTIAL_NAME
        if path.is_file():
            return CredentialBox(path.read_bytes().strip())
    return CredentialBox(_key_file(Path(settings.storage.keys_dir) / f"{CREDENTIAL_NAME}.key"))


def _key_file(path: Path) -> bytes:
    if path.is_file():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(Fernet.generate_key())
    try:
        # link() fails if another process made the key first: then theirs wins.
        os.link(tmp, path)
        logger.info("generated the integrations key in %s", path.parent)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_bytes().strip()
