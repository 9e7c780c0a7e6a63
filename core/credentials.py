"""Secrets from systemd's CREDENTIALS_DIRECTORY (``LoadCredential=``), and key files that
AlarmVault makes once (0600) in the keys folder when no credential is given."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger(__name__)


def credential_file(name: str) -> Path | None:
    """systemd's file for credential ``name``; None outside systemd or when it was not given."""
    directory = os.environ.get("CREDENTIALS_DIRECTORY")
    if not directory:
        return None
    path = Path(directory) / name
    return path if path.is_file() else None


def key_file(path: Path, make_key: Callable[[], bytes], what: str) -> Path:
    """``path``, first written with ``make_key()`` (0600) if it does not exist yet."""
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(make_key())
    try:
        # link() fails if another process made the key first: then theirs wins.
        os.link(tmp, path)
        logger.info("generated the %s in %s", what, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path
