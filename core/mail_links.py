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


def mail_link_base(settings: Settings) -> str:
    """Where links in mails point: ``[web] public_url``, else the address the UI listens on,
    and for a UI that listens on every interface this machine's name.

    Never a request's Host header: anybody can send any Host, and a forged one in a password
    reset request would mail the victim a link, token included, to the forger's site.
    `mail_link_warning` tells the admin (``alarmvault check-config``) when the guess is weak.
    """
    web = settings.web
    if web.public_url:
        return web.public_url.rstrip("/")
    host, port = parse_listen(web.listen)
    if host in _ANY_ADDRESS:
        host = socket.getfqdn()
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}"


def mail_link_warning(settings: Settings) -> str | None:
    """Why links in mails may not reach users, or None: no public URL while the UI listens on
    every interface, so they point at this machine's own name."""
    if settings.web.public_url:
        return None
    host, _ = parse_listen(settings.web.listen)
    if host not in _ANY_ADDRESS:
        return None
    return (
        "[web] public_url is not set and the web UI listens on every address: links in mails "
        f"(password reset, confirmation, opt-out) point to {mail_link_base(settings)}. "
        "Set public_url to the address your users open, e.g. 'https://cams.example.org'."
    )


def opt_out_url(db: sqlite_utils.Database, settings: Settings, user_id: int, kind: str) -> str:
    """The one-click link that switches ``kind`` (``alarms``, ``fairuse``) off for the user."""
    if kind not in MAIL_KINDS:
        raise ValueError(f"unknown mail kind {kind!r}")
    key = mail_optout_key(db, user_id)
    path = OPT_OUT_PATH.format(key=quote(key, safe=""), kind=kind)
    return mail_link_base(settings) + path
