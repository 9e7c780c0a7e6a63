"""Links in mails: where they point, and the one-click opt-out link of optional mails.

Used by the pipeline (fair-use notices, alarm mails) and by the web UI (account links), so
both build the same addresses; the web UI imports from here, never the reverse.
"""

from __future__ import annotations

import socket
from urllib.parse import quote

import sqlite_utils

from core.catalog.accounts import MAIL_KINDS, mail_optout_key
from core.settings import Settings, parse_listen

# The web UI's opt-out route (webui.account.mail_opt_out); GET from the link, POST (RFC 8058)
# from mail clients that offer their own "unsubscribe" button.
OPT_OUT_PATH = "/mail/opt-out/{key}/{kind}"

_ANY_ADDRESS = ("0.0.0.0", "::", "")  # noqa: S104 - compared, not bound


def mail_link_base(settings: Settings, request_host_url: str | None = None) -> str:
    """Where links in mails point: ``[web] public_url``, else the address the UI listens on.

    Never the request's Host header alone: a forged Host in a password-reset request would
    otherwise mail the victim a link (with their token) to the forger's site. Only when the UI
    listens on every interface and no public URL is set is the Host (``request_host_url``, given
    by the web UI) the one hint left; without a request (the pipeline) it is this machine's name.
    """
    web = settings.web
    if web.public_url:
        return web.public_url.rstrip("/")
    host, port = parse_listen(web.listen)
    if host in _ANY_ADDRESS:
        if request_host_url:
            return request_host_url.rstrip("/")
        host = socket.gethostname()
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}"


def opt_out_url(db: sqlite_utils.Database, settings: Settings, user_id: int, kind: str) -> str:
    """The one-click link that switches ``kind`` (``alarms``, ``fairuse``) off for the user."""
    if kind not in MAIL_KINDS:
        raise ValueError(f"unknown mail kind {kind!r}")
    key = mail_optout_key(db, user_id)
    path = OPT_OUT_PATH.format(key=quote(key, safe=""), kind=kind)
    return mail_link_base(settings) + path
