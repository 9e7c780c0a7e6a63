"""Where the Flask secret key comes from: the setting, systemd credentials, or a key file
generated once (0600) in the keys folder."""

from __future__ import annotations

import secrets
from pathlib import Path

from core.credentials import credential_file, key_file
from core.settings import Settings

CREDENTIAL_NAME = "web_secret_key"


def load_secret_key(settings: Settings) -> str:
    if settings.web.secret_key:
        return settings.web.secret_key
    path = credential_file(CREDENTIAL_NAME) or key_file(
        Path(settings.storage.keys_dir) / CREDENTIAL_NAME,
        lambda: secrets.token_urlsafe(48).encode("ascii"),
        "web UI secret key",
    )
    return path.read_text().strip()
