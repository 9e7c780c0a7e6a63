"""Secrets AlarmVault must use again later (a camera's login, a webhook's URL and signing key),
encrypted at rest with Fernet.

The key comes from systemd's CREDENTIALS_DIRECTORY (file ``integrations_key``) or from a key
file generated once (0600) in ``<data_dir>/keys``. Losing the key makes the sealed values
unreadable; owners then enter them again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from core.credentials import credential_file, key_file
from core.settings import Settings

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
            value = json.loads(self._fernet.decrypt(sealed.encode("ascii")))
        except (InvalidToken, ValueError) as error:
            raise SealBroken("a stored secret cannot be decrypted with this key") from error
        if not isinstance(value, dict):  # `seal` only takes dicts: this was not sealed by us
            raise SealBroken("a stored secret is not what was sealed")
        return value


def load_credential_box(settings: Settings) -> CredentialBox:
    path = credential_file(CREDENTIAL_NAME) or key_file(
        Path(settings.storage.keys_dir) / f"{CREDENTIAL_NAME}.key",
        Fernet.generate_key,
        "integrations key",
    )
    return CredentialBox(path.read_bytes().strip())
