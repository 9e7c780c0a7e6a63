"""Inactive accounts: warned by e-mail, then deleted with every file and row after a respite."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlite_utils

from core.catalog.inactive_accounts import (
    accounts_to_delete,
    accounts_to_warn,
    clear_warnings_of_active_accounts,
    mark_warned,
)
from core.clipstore import ClipStore
from core.mailer import MailError, send_mail
from core.removal import remove_account
from core.settings import Settings
from core.translation import N_, translations
from pipeline.scheduler import catalog_time

logger = logging.getLogger(__name__)

WARNING_SUBJECT = N_("Your AlarmVault account will be deleted")
WARNING_TEXT = N_(
    "Hello,\n\n"
    "your AlarmVault account has not been used since %(last_active)s.\n"
    "Unless you log in at %(where)s before %(delete_on)s, the account will be deleted\n"
    "together with all its cameras and recordings. This cannot be undone.\n\n"
    "If you want to keep your recordings, log in and export them first.\n"
)


def warning_text(
    settings: Settings, last_active_at: str, delete_on: datetime, language: str | None = None
) -> str:
    tr = translations(language)
    where = settings.web.public_url or tr.gettext("the AlarmVault web page")
    return tr.gettext(WARNING_TEXT) % {
        "last_active": last_active_at[:10],
        "where": where,
        "delete_on": f"{delete_on:%Y-%m-%d}",
    }


def warn_and_delete_inactive_accounts(
    db: sqlite_utils.Database, settings: Settings, now: datetime
) -> dict:
    schedule = settings.schedule
    if schedule.inactive_warn_days == 0:
        return {"warned": 0, "deleted": 0, "reactivated": 0, "disabled": 1}
    reactivated = clear_warnings_of_active_accounts(db)
    deleted = 0
    warned_before = catalog_time(now - timedelta(days=schedule.inactive_delete_days))
    clips = ClipStore(settings.storage)
    for account in accounts_to_delete(db, warned_before):
        removed = remove_account(db, clips, settings.storage, account["id"])
        deleted += 1
        logger.info(
            "inactive account %d deleted: %d cameras, %d recordings",
            account["id"],
            removed["cameras"],
            removed["recordings"],
        )
    warned = failed = 0
    inactive_before = catalog_time(now - timedelta(days=schedule.inactive_warn_days))
    delete_on = now + timedelta(days=schedule.inactive_delete_days)
    for account in accounts_to_warn(db, inactive_before):
        try:
            send_mail(
                settings,
                account["email"],
                translations(account["language"]).gettext(WARNING_SUBJECT),
                warning_text(settings, account["last_active_at"], delete_on, account["language"]),
                kind="inactive_account",
            )
        except MailError:
            # Not marked: the respite starts only when the owner could have read the warning.
            failed += 1
            continue
        mark_warned(db, account["id"], catalog_time(now))
        warned += 1
    return {"warned": warned, "deleted": deleted, "reactivated": reactivated, "mail_failed": failed}
