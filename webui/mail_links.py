"""Mails the web UI sends (account links), rendered from ``templates/mail/*.txt``."""

from __future__ import annotations

import logging
from contextlib import nullcontext
from typing import Any

from flask import render_template, url_for
from flask_babel import LazyString, force_locale

from core.mail_links import mail_link_base as pipeline_link_base
from core.mailer import MailError, send_mail
from webui.db import get_settings

logger = logging.getLogger(__name__)


def mail_link_base() -> str:
    """Where links in mails point (see `core.mail_links.mail_link_base`)."""
    return pipeline_link_base(get_settings())


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link for a mail."""
    return mail_link_base() + url_for(endpoint, **values)


def send_account_mail(
    to: str,
    subject: LazyString,
    template: str,
    *,
    link: tuple[str, dict[str, Any]] | None = None,
    language: str | None = None,
) -> bool:
    """Render and send, in the account's ``language`` if it has one (else the page's);
    False (and a log line without the address) if SMTP refused it."""
    url = external_url(link[0], **link[1]) if link else None
    with force_locale(language) if language else nullcontext():
        body = render_template(f"mail/{template}.txt", link=url)
        subject = str(subject)
    try:
        send_mail(get_settings(), to, str(subject), body, kind=template)
    except MailError:
        logger.exception("account mail %r could not be sent", template)
        return False
    return True
