"""Mails the web UI sends (account links), rendered from ``templates/mail/*.txt``."""

from __future__ import annotations

import logging
from typing import Any

from flask import render_template, url_for

from pipeline.mailer import MailError, send_mail
from webui.db import get_settings

logger = logging.getLogger(__name__)


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for a mail: under ``[web] public_url`` when set."""
    public_url = get_settings().web.public_url
    if public_url:
        return public_url.rstrip("/") + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


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
