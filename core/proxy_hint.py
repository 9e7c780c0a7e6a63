"""Noticing a reverse proxy that the settings do not trust.

With ``[web] trusted_proxies = 0`` behind nginx or caddy every request comes from the proxy's
address, so the login and API limits see one client: everybody shares one failure budget (known
devices still get in, see webui.login_limits). The web UI cannot fix that by itself (trusting
X-Forwarded-For unasked would let anybody forge their address), so it leaves a note when it
sees forwarded requests arrive over loopback, and ``alarmvault check-config`` says so.
"""

from __future__ import annotations

import logging
from pathlib import Path

from core.settings import Settings, parse_listen

logger = logging.getLogger(__name__)

NOTE_NAME = "web-forwarded-requests-seen"


def note_path(settings: Settings) -> Path:
    return Path(settings.storage.data_dir) / NOTE_NAME


def note_forwarded_request(settings: Settings) -> None:
    """Record (once) that a request with X-Forwarded-For came over loopback while no proxy is
    trusted."""
    path = note_path(settings)
    if path.exists():
        return
    logger.warning(
        "requests carry X-Forwarded-For but [web] trusted_proxies = 0: every client shares the "
        "proxy's address for login and API limits"
    )
    try:
        path.write_text("X-Forwarded-For seen over loopback with trusted_proxies = 0\n")
    except OSError:
        logger.warning("cannot write %s", path)


def proxy_warning(settings: Settings) -> str | None:
    """What check-config tells the admin, if the web UI noticed an untrusted proxy."""
    if settings.web.trusted_proxies or not note_path(settings).exists():
        return None
    host, _ = parse_listen(settings.web.listen)
    if host not in ("127.0.0.1", "::1", "localhost"):
        return None
    return (
        "the web UI listens on loopback and its requests carry X-Forwarded-For, but "
        "[web] trusted_proxies = 0: behind the proxy every client shares one address, so "
        "failed logins and invalid API tokens of strangers count against everyone (browsers "
        "that logged in before still get in). Set trusted_proxies = 1 for one proxy."
    )
