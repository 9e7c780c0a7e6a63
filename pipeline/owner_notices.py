"""Telling a camera's owner (and for fair use, the admins): a notice row the web UI shows,
then a mail. The row is committed with the event it belongs to; the mail goes after the
commit, so a slow or failing mail server never holds the catalog's write lock."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils

from core.catalog.notices import admin_contacts, camera_owner_contact, insert_notice
from core.catalog.states import FairUseState
from core.mail_links import opt_out_url
from core.mailer import MailError, send_mail
from core.settings import Settings
from core.translation import ENGLISH, N_, Phrase, translations

logger = logging.getLogger(__name__)

# The kind FairUseMonitor.notice gives a suspension.
FAIRUSE_SUSPENDED = f"fairuse_{FairUseState.SUSPENDED}"


ADVICE_HEADING = N_("What you can do:")
MAIL_FOOTER = N_("You also find this notice on the camera's page in AlarmVault.")
ADMIN_SUBJECT = N_("[admin] camera %(camera_id)s: %(title)s")


@dataclass(frozen=True)
class OwnerNotice:
    """Worded in the reader's language when shown or mailed, never when made."""

    kind: str
    title: Phrase
    body: Phrase
    advice: list[Phrase] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    # Same key, one notice: "once per day per camera" and "once per transition".
    dedupe_key: str | None = None

    @property
    def is_fairuse(self) -> bool:
        return self.kind.startswith("fairuse")

    @property
    def is_optional(self) -> bool:
        """A mail the owner may switch off (``mail_fairuse``), so it carries the opt-out link.

        Every step of the fair-use ladder is optional *except a suspension*. The first warning
        changes nothing yet, and a throttled camera's clips are still stored, only processed
        later (pipeline/fairuse/rules.py); each step is also a notice on the dashboard and the
        camera's page, and the account page's switch describes exactly these warnings, so
        mailing them against the owner's choice is not needed for the service. A suspension
        (only an admin sets it) makes ingestd refuse the camera's uploads: the camera stops
        recording alarms at all, which the owner of a security camera must learn even without
        opening the web UI, so that mail always goes out, like account mails, without a link.
        Other notices (a long clip) are about the service itself and have no switch.
        """
        return self.is_fairuse and self.kind != FAIRUSE_SUSPENDED

    @property
    def params(self) -> dict[str, Any]:
        """What is stored so that the notice can be worded later (`worded_notice`)."""
        return {
            "title": self.title.to_json(),
            "body": self.body.to_json(),
            "advice": [item.to_json() for item in self.advice],
        }

    def mail_text(self, language: str | None = None) -> str:
        translation = translations(language)
        lines = [self.body.words(translation)]
        if self.advice:
            lines += ["", translation.gettext(ADVICE_HEADING)]
            lines += [f"  - {item.words(translation)}" for item in self.advice]
        lines += ["", translation.gettext(MAIL_FOOTER)]
        return "\n".join(lines)


def record_notice(
    db: sqlite_utils.Database, camera_id: int, notice: OwnerNotice, at: str
) -> int | None:
    """Store the notice for the camera's owner inside the caller's transaction; None if a
    notice with the same dedupe key exists (then nobody is mailed again)."""
    owner = camera_owner_contact(db, camera_id)
    if owner is None:
        return None
    return insert_notice(
        db,
        user_id=owner["user_id"],
        camera_id=camera_id,
        kind=notice.kind,
        title=notice.title.words(ENGLISH),
        body=notice.body.words(ENGLISH),
        advice=[item.words(ENGLISH) for item in notice.advice],
        evidence=notice.evidence,
        created_at=at,
        dedupe_key=notice.dedupe_key,
        params=notice.params,
    )


def mail_notice(
    db: sqlite_utils.Database,
    settings: Settings,
    camera_id: int,
    notice: OwnerNotice,
    *,
    admins: bool = False,
) -> int:
    """Mail the owner (optional fair-use mails only if they chose them, with the one-click
    opt-out link; see `OwnerNotice.is_optional`) and, if asked, every admin;
    returns how many mails went out. Failures are logged by user id and do not raise.
    Each mail is in its reader's language."""
    recipients: list[tuple[int, str, str, str | None, str | None]] = []
    owner = camera_owner_contact(db, camera_id)
    if owner is not None and (owner["mail_fairuse"] or not notice.is_optional):
        unsubscribe = (
            opt_out_url(db, settings, owner["user_id"], "fairuse") if notice.is_optional else None
        )
        subject = notice.title.words(translations(owner["language"]))
        recipients.append(
            (owner["user_id"], owner["email"], subject, unsubscribe, owner["language"])
        )
    if admins:
        # The admins' copy is part of their job, not a choice: no opt-out link.
        recipients += [
            (
                admin["user_id"],
                admin["email"],
                Phrase(ADMIN_SUBJECT, {"camera_id": camera_id, "title": notice.title}).words(
                    translations(admin["language"])
                ),
                None,
                admin["language"],
            )
            for admin in admin_contacts(db)
            if owner is None or admin["user_id"] != owner["user_id"]
        ]
    sent = 0
    for user_id, address, subject, unsubscribe, language in recipients:
        try:
            send_mail(
                settings,
                address,
                subject,
                notice.mail_text(language),
                kind=notice.kind,
                unsubscribe_url=unsubscribe,
            )
        except MailError:
            logger.warning(
                "notice %s for camera %s: mail to user %s failed", notice.kind, camera_id, user_id
            )
            continue
        sent += 1
    return sent
