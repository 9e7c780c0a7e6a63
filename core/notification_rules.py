"""Pure rules of notifications: who wants an event, what it says, when to retry."""

from __future__ import annotations

import gettext
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from core.label_names import LABEL_NAMES
from core.timestamps import format_local
from core.translation import N_, translations


def wants_recording(target_labels: list[str], recording_labels: list[str]) -> bool:
    """A target without labels wants every alarm; with labels, alarms showing one of them."""
    if not target_labels:
        return True
    return bool(set(target_labels) & set(recording_labels))


def plate_labels(plates: list[dict[str, Any]]) -> list[str]:
    """The plate conditions a recording meets, for `wants_recording`: ``plate_unknown`` (a
    plate the owner has not named), ``plate_known`` (a named one) and ``plate:ID`` (that
    named plate)."""
    labels: set[str] = set()
    for plate in plates:
        if plate.get("known_plate_id") is None:
            labels.add("plate_unknown")
        else:
            labels.update(("plate_known", f"plate:{plate['known_plate_id']}"))
    return sorted(labels)


def notification_labels(row: dict[str, Any]) -> list[str]:
    """A recording row's labels plus its plate conditions."""
    return [*(row.get("labels") or []), *plate_labels(row.get("plates") or [])]


def waits_for_labels(row: dict[str, Any], now: datetime, label_wait_s: float) -> bool:
    """A recording of a camera with detection on is held back until it was analysed (its
    labels decide who is notified), but never longer than ``label_wait_s``."""
    if not row.get("detection_wanted") or row.get("analysed"):
        return False
    created = datetime.fromisoformat(row["created_at"])
    return now - created < timedelta(seconds=label_wait_s)


def retry_delay_s(attempts: int, base_s: float, max_s: float) -> float:
    """Wait after the ``attempts``-th failure: base·2^(n-1), capped, with ±10 % jitter so many
    deliveries to one dead receiver do not come back all at once."""
    delay = min(base_s * (2.0 ** max(attempts - 1, 0)), max_s)
    return delay * random.uniform(0.9, 1.1)


def next_attempt_at(attempts: int, max_attempts: int, base_s: float, max_s: float) -> str | None:
    """When to try again after ``attempts`` failures, or None to give up."""
    if attempts >= max_attempts:
        return None
    when = datetime.now(UTC) + timedelta(seconds=retry_delay_s(attempts, base_s, max_s))
    return when.isoformat(timespec="seconds")


def _camera(row: dict[str, Any]) -> dict[str, Any]:
    return {"id": row["camera_id"], "name": row["camera_name"], "model": row.get("camera_model")}


def recording_payload(row: dict[str, Any]) -> dict[str, Any]:
    labels = list(row.get("labels") or [])
    summary = "Alarm" + (f" ({', '.join(labels)})" if labels else "")
    return {
        "event": "recording",
        "time": row["started_at"],
        "summary": summary,
        "camera": _camera(row),
        "labels": labels,
        # Kept out of the summary (IFTTT's value2, MQTT state): only here, so a deleted
        # recording's plates can be removed from stored payloads in one place.
        "plates": [
            {"text": plate["text"], "name": plate.get("name")} for plate in row.get("plates") or []
        ],
        "recording": {
            "id": row["id"],
            "started_at": row["started_at"],
            "duration_s": row["duration_s"],
            "labels": labels,
        },
    }


def fairuse_payload(row: dict[str, Any], now: str) -> dict[str, Any]:
    return {
        "event": "fairuse",
        "time": now,
        "summary": f"Fair-use state {row['state']} (was {row['previous_state']})",
        "camera": _camera(row),
        "fairuse": {"state": row["state"], "previous_state": row["previous_state"]},
    }


# The camera a test notification names when the account has no recording to build it from.
TEST_CAMERA_NAME = N_("Test camera")


def camera_name(payload: dict[str, Any], tr: gettext.NullTranslations) -> str:
    """The camera's name as a notice shows it: its own, or the made-up test camera's in the
    reader's words (``tr``: their catalogue, `core.translation.translations`)."""
    camera = payload["camera"]
    if payload.get("test") and camera["name"] == TEST_CAMERA_NAME:
        return tr.gettext(TEST_CAMERA_NAME)
    return str(camera["name"])


def mail_text(
    payload: dict[str, Any], zone: str | None = None, language: str | None = None
) -> tuple[str, str]:
    """Subject and body of a notification mail, times in ``zone`` (the owner's; UTC if None),
    words in ``language`` (the owner's; English if None)."""
    tr = translations(language)
    camera = camera_name(payload, tr)
    if payload["event"] == "recording":
        labels = [tr.gettext(LABEL_NAMES.get(label, label)) for label in payload["labels"]]
        subject = (
            tr.gettext("Alarm (%(labels)s) on %(camera)s")
            % {"labels": ", ".join(labels), "camera": camera}
            if labels
            else tr.gettext("Alarm on %(camera)s") % {"camera": camera}
        )
        plates = [
            plate["text"] + (f" ({plate['name']})" if plate.get("name") else "")
            for plate in payload.get("plates") or []
        ]
        lines = [
            tr.gettext("Your camera %(camera)s recorded an alarm at %(time)s.")
            % {"camera": camera, "time": format_local(payload["time"], zone, language)},
            tr.gettext("Labels: %(labels)s") % {"labels": ", ".join(labels) or tr.gettext("none")},
        ]
        if plates:
            lines.append(tr.gettext("Plates: %(plates)s") % {"plates": ", ".join(plates)})
        lines += ["", tr.gettext(RECORDING_MAIL_FOOTER)]
        body = "\n".join(lines) + "\n"
    else:
        fairuse = payload["fairuse"]
        subject = tr.gettext("Fair-use notice for %(camera)s") % {"camera": camera}
        body = (
            tr.gettext("Fair-use state of %(camera)s: %(state)s (was %(previous)s).")
            % {
                "camera": camera,
                "state": tr.gettext(FAIRUSE_STATE_NAMES.get(fairuse["state"], fairuse["state"])),
                "previous": tr.gettext(
                    FAIRUSE_STATE_NAMES.get(fairuse["previous_state"], fairuse["previous_state"])
                ),
            }
            + "\n\n"
            + tr.gettext("Open AlarmVault to see why and what to change in the camera's settings.")
            + "\n"
        )
    return subject, body


RECORDING_MAIL_FOOTER = N_(
    "Open AlarmVault to watch it. You get this mail because you set up an e-mail notification; "
    "remove it in AlarmVault's notification settings."
)
# The fair-use states as an owner reads them (core.catalog.states.FairUseState).
FAIRUSE_STATE_NAMES = {
    "ok": N_("normal"),
    "warned": N_("warned"),
    "throttled": N_("delayed"),
    "suspended": N_("suspended"),
}
