"""Mails the web UI sends (account links), rendered from ``templates/mail/*.txt``."""

from __future__ import annotations

import logging
from typing import Any

from flask import render_template, request, url_for

from pipeline.mailer import MailError, send_mail
from pipeline.settings import parse_listen
from webui.db import get_settings

logger = logging.getLogger(__name__)


def mail_link_base() -> str:
    """Where links in mails point: ``[web] public_url``, else the address the UI listens on.

    Never the request's Host header alone: a forged Host in a password-reset request would
    otherwise mail the victim a link (with their token) to the forger's site. Only when the UI
    listens on every interface and no public URL is set is the Host the one hint left.
    """
    web = get_settings().web
    if web.public_url:
        return web.public_url.rstrip("/")
    host, port = parse_listen(web.listen)
    if host not in ("0.0.0.0", "::", ""):  # noqa: S104 - compared, not bound
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    return request.host_url.rstrip("/")


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for a mail."""
    return mail_link_base() + url_for(endpoint, **values)


def send_account_mail(
    to: str, subject: str, template: str, *, link: tuple[str, dict[str, Any]] | None = None
) -> bool:
    """Render and send; False (and a log line without the address) if SMTP refused it."""
    url = external_url(link[0], **link[1]) if link else None
    body = render_template(f"mail/{template}.txt", link=url)
    try:
        send_mail(get_settings(), to, subject, body, kind=template)
    except MailError:
        logger.exception("account mail %r could not be sent", template)
        return False
    return True
