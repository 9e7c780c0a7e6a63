"""Where the Flask secret key comes from: the setting, systemd credentials, or a key file
generated once (0600) in the keys folder."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from pipeline.settings import Settings

logger = logging.getLogger(__name__)

CREDENTIAL_NAME = "web_secret_key"


def load_secret_key(settings: Settings) -> str:
    if settings.web.secret_key:
        return settings.web.secret_key
    credentials = os.environ.get("CREDENTIALS_DIRECTORY")
    if credentials:
        path = Path(credentials) / CREDENTIAL_NAME
        if path.is_file():
            return path.read_text().strip()
    return _key_file(Path(settings.storage.keys_dir) / CREDENTIAL_NAME)


def _key_file(path: Path) -> str:
    if path.is_file():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    try:
        # link() fails if another process made the key first: then theirs wins.
        os.link(tmp, path)
        logger.info("generated the web UI secret key in %s", path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()
