"""Applies the fair-use rules to the catalog: after each clip (one camera) and on schedule
(every camera), and records every step of the ladder with its evidence.

`evaluate_fair_use(db, settings, now)` is the scheduler's entry point; `suspend_camera` and
`resume_camera` are the admin's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from core.catalog import atomic
from core.catalog import fairuse as fairuse_rows
from core.catalog.cameras import get_camera
from core.catalog.states import FairUseState
from core.catalog.times import iso, parse_iso
from core.settings import Settings
from core.translation import N_, Phrase
from pipeline.fairuse.advice import advice_for
from pipeline.fairuse.rules import (
    AlarmClip,
    ConstantAlarmRule,
    FairUseLadder,
    FalseAlarmRateRule,
    Finding,
    LabelledRecording,
)
from pipeline.owner_notices import OwnerNotice, mail_notice, record_notice

logger = logging.getLogger(__name__)

SYSTEM = "system"
ADMIN = "admin"

# Title and body of the owner's notice for each step (message ids, worded when read).
NOTICE_WORDS = {
    FairUseState.WARNED: (
        N_("Camera %(camera)s: please check its alarm settings"),
        N_(
            "Your camera %(camera)s sends more alarms than a camera normally does: %(what)s. "
            "If this goes on for %(grace_h)s hours, its clips will be processed with a delay of "
            "%(delay_min)s minutes."
        ),
    ),
    FairUseState.THROTTLED: (
        N_("Camera %(camera)s: clips are now processed with a delay"),
        N_(
            "Your camera %(camera)s still sends constant or mostly false alarms (%(what)s). "
            "Its clips are stored, but processed %(delay_min)s minutes later until the alarms "
            "calm down."
        ),
    ),
    FairUseState.SUSPENDED: (
        N_("Camera %(camera)s: uploads suspended"),
        N_(
            "An administrator suspended uploads from your camera %(camera)s under the fair-use "
            "terms. Please contact support once its alarm settings are changed."
        ),
    ),
    FairUseState.OK: (
        N_("Camera %(camera)s: back to normal"),
        N_("The alarms of your camera %(camera)s are back to normal; clips are processed at once."),
    ),
}


class CameraStateChanged(Exception):
    """The camera's fair-use state changed while the step was being taken; nothing was written."""


@dataclass(frozen=True)
class Transition:
    camera_id: int
    from_state: FairUseState
    to_state: FairUseState
    findings: tuple[Finding, ...]
    event_id: int


class FairUseMonitor:
    def __init__(self, db: sqlite_utils.Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings
        rules = settings.fairuse
        self.window = timedelta(hours=rules.window_h)
        self.constant_alarm = ConstantAlarmRule(
            gap_s=rules.constant_alarm_gap_s, min_run_s=rules.constant_alarm_min * 60
        )
        self.false_alarms = FalseAlarmRateRule(
            max_share=rules.false_alarm_share, min_recordings=rules.false_alarm_min_recordings
        )
        self.ladder = FairUseLadder(grace=timedelta(hours=rules.grace_period_h))

    def findings(self, camera_id: int, now: datetime) -> list[Finding]:
        since = iso(now - self.window)
        clips = [
            AlarmClip(
                row["job_id"],
                parse_iso(row["started_at"]),
                float(row["duration_s"] or 0),
                row["recording_id"],
            )
            for row in fairuse_rows.accepted_clips(self.db, camera_id, since)
            if row["started_at"]
        ]
        recordings = [
            LabelledRecording(row["id"], parse_iso(row["started_at"]), row["labels"])
            for row in fairuse_rows.labelled_recordings(self.db, camera_id, since)
        ]
        found = [self.constant_alarm.find(clips), self.false_alarms.find(recordings)]
        return [finding for finding in found if finding is not None]

    def evaluate_camera(self, camera_id: int, now: datetime) -> Transition | None:
        """Take the ladder step the camera's recent clips call for, if any."""
        camera = get_camera(self.db, camera_id)
        current = FairUseState(camera["fairuse_state"])
        if current == FairUseState.SUSPENDED:
            return None  # only an admin lifts a suspension; no need to read the history
        since = fairuse_rows.state_since(self.db, camera_id)
        findings = self.findings(camera_id, now)
        target = self.ladder.next_state(current, parse_iso(since) if since else None, findings, now)
        if target == current:
            return None
        try:
            return self.step(camera, current, target, findings, SYSTEM, now)
        except CameraStateChanged:
            return None

    def step(
        self,
        camera: dict,
        current: FairUseState,
        target: FairUseState,
        findings: list[Finding],
        actor: str,
        now: datetime,
    ) -> Transition:
        """Record one step with its evidence and a notice, then tell owner (and admins)."""
        limit = self.settings.fairuse.evidence_limit
        evidence = {finding.rule: finding.evidence(limit) for finding in findings}
        at = iso(now)
        with atomic(self.db):
            event_id = fairuse_rows.record_transition(
                self.db,
                camera["id"],
                current,
                target,
                rules=[finding.rule for finding in findings],
                evidence=evidence,
                actor=actor,
                at=at,
            )
            if event_id is None:
                raise CameraStateChanged(f"camera {camera['id']} is no longer {current}")
            notice = self.notice(camera, target, findings, evidence, event_id)
            record_notice(self.db, camera["id"], notice, at)
        logger.info(
            "fairuse camera=%s %s -> %s actor=%s rules=%s event=%s evidence_jobs=%d",
            camera["id"],
            current,
            target,
            actor,
            ",".join(finding.rule for finding in findings) or "-",
            event_id,
            sum(len(finding.job_ids) for finding in findings),
        )
        mail_notice(
            self.db,
            self.settings,
            camera["id"],
            notice,
            admins=target in (FairUseState.WARNED, FairUseState.THROTTLED),
        )
        return Transition(camera["id"], current, target, tuple(findings), event_id)

    def notice(
        self,
        camera: dict,
        target: FairUseState,
        findings: list[Finding],
        evidence: dict,
        event_id: int,
    ) -> OwnerNotice:
        values = {
            "camera": camera["name"],
            "what": [finding.phrase for finding in findings],
            "grace_h": f"{self.settings.fairuse.grace_period_h:g}",
            "delay_min": f"{self.settings.fairuse.throttle_delay_min:g}",
        }
        title, body = NOTICE_WORDS.get(target, NOTICE_WORDS[FairUseState.OK])
        return OwnerNotice(
            kind=f"fairuse_{target}",
            title=Phrase(title, values),
            body=Phrase(body, values),
            advice=advice_for(findings)
            if target in (FairUseState.WARNED, FairUseState.THROTTLED)
            else [],
            evidence=evidence,
            dedupe_key=f"fairuse_event:{event_id}",
        )


def evaluate_fair_use(
    db: sqlite_utils.Database, settings: Settings, now: datetime
) -> list[Transition]:
    """Evaluate every camera with clips in the window or not ``ok`` (for the scheduler)."""
    if not settings.fairuse.enabled:
        return []
    monitor = FairUseMonitor(db, settings)
    since = iso(now - monitor.window)
    transitions = []
    for camera in fairuse_rows.cameras_to_evaluate(db, since):
        transition = monitor.evaluate_camera(camera["id"], now)
        if transition is not None:
            transitions.append(transition)
    return transitions


def suspend_camera(
    db: sqlite_utils.Database, settings: Settings, camera_id: int, now: datetime
) -> Transition:
    """An admin suspends the camera (ingestd then refuses its logins); the current findings
    are stored as the evidence. Raises `CameraStateChanged` if it is suspended already."""
    monitor = FairUseMonitor(db, settings)
    camera = get_camera(db, camera_id)
    current = FairUseState(camera["fairuse_state"])
    if current == FairUseState.SUSPENDED:
        raise CameraStateChanged(f"camera {camera_id} is suspended already")
    findings = monitor.findings(camera_id, now)
    return monitor.step(camera, current, FairUseState.SUSPENDED, findings, ADMIN, now)


def resume_camera(
    db: sqlite_utils.Database, settings: Settings, camera_id: int, now: datetime
) -> Transition:
    """An admin lifts a suspension: back to ``ok``; the next evaluation may warn again."""
    monitor = FairUseMonitor(db, settings)
    camera = get_camera(db, camera_id)
    if camera["fairuse_state"] != FairUseState.SUSPENDED:
        raise CameraStateChanged(f"camera {camera_id} is not suspended")
    return monitor.step(camera, FairUseState.SUSPENDED, FairUseState.OK, [], ADMIN, now)
