"""Fair-use rules as pure objects over a camera's clip history; no I/O.

The rules in words: docs/cameras.md, The 18-second rule and fair use.

Constant alarm: clips that follow each other with gaps under G seconds form one run; a run
longer than W minutes is a constant alarm. High false-alarm rate: within the window, the share
of recordings labelled ``false_alarm`` above a threshold (judged on enough recordings only).
The ladder turns findings into the camera's state.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.catalog.states import FairUseState
from core.translation import N_, Phrase

CONSTANT_ALARM = "constant_alarm"
FALSE_ALARM_RATE = "false_alarm_rate"
FALSE_ALARM_LABEL = "false_alarm"

CONSTANT_ALARM_SUMMARY = N_(
    "%(clips)s clips in a row without a pause of %(gap_s)s s, for %(minutes)s minutes"
)
FALSE_ALARM_SUMMARY = N_("%(false)s of %(total)s recordings (%(percent)s %%) were false alarms")


@dataclass(frozen=True)
class AlarmClip:
    """One accepted clip as fair use sees it."""

    job_id: str
    started_at: datetime
    duration_s: float
    recording_id: int | None = None

    @property
    def ended_at(self) -> datetime:
        return self.started_at + timedelta(seconds=self.duration_s)


@dataclass(frozen=True)
class LabelledRecording:
    recording_id: int
    started_at: datetime
    labels: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Finding:
    """A rule that fires, with the clips that prove it."""

    rule: str
    # What the owner is told (in their language); its English words are the ``summary``.
    phrase: Phrase
    first_at: datetime
    last_at: datetime
    job_ids: tuple[str, ...] = ()
    recording_ids: tuple[int, ...] = ()
    # Clip start times, for advice such as "most alarms come at night".
    times: tuple[datetime, ...] = ()
    measures: dict[str, Any] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        return self.phrase.words()

    def evidence(self, limit: int) -> dict[str, Any]:
        """What is stored with a transition: the newest ``limit`` ids and the measures."""
        return {
            "rule": self.rule,
            "summary": self.summary,
            "first_at": self.first_at.isoformat(),
            "last_at": self.last_at.isoformat(),
            "job_ids": list(self.job_ids[-limit:]),
            "recording_ids": list(self.recording_ids[-limit:]),
            **self.measures,
        }


def alarm_runs(clips: Iterable[AlarmClip], gap_s: float) -> list[list[AlarmClip]]:
    """Group clips, in time order, into runs whose gaps are all under ``gap_s``."""
    runs: list[list[AlarmClip]] = []
    run_end: datetime | None = None
    for clip in sorted(clips, key=lambda clip: clip.started_at):
        if run_end is not None and (clip.started_at - run_end).total_seconds() < gap_s:
            runs[-1].append(clip)
            run_end = max(run_end, clip.ended_at)
        else:
            runs.append([clip])
            run_end = clip.ended_at
    return runs


@dataclass(frozen=True)
class ConstantAlarmRule:
    gap_s: float
    min_run_s: float

    def find(self, clips: Sequence[AlarmClip]) -> Finding | None:
        """The longest run longer than W, or None."""
        longest, longest_s = None, 0.0
        for run in alarm_runs(clips, self.gap_s):
            length_s = (max(c.ended_at for c in run) - run[0].started_at).total_seconds()
            if length_s > self.min_run_s and length_s > longest_s:
                longest, longest_s = run, length_s
        if longest is None:
            return None
        minutes = longest_s / 60
        return Finding(
            rule=CONSTANT_ALARM,
            phrase=Phrase(
                CONSTANT_ALARM_SUMMARY,
                {"clips": len(longest), "gap_s": round(self.gap_s), "minutes": round(minutes)},
            ),
            first_at=longest[0].started_at,
            last_at=max(c.ended_at for c in longest),
            job_ids=tuple(c.job_id for c in longest),
            recording_ids=tuple(c.recording_id for c in longest if c.recording_id is not None),
            times=tuple(c.started_at for c in longest),
            measures={"clips": len(longest), "run_minutes": round(minutes, 1)},
        )


@dataclass(frozen=True)
class FalseAlarmRateRule:
    max_share: float
    min_recordings: int

    def find(self, recordings: Sequence[LabelledRecording]) -> Finding | None:
        """Fires when more than ``max_share`` of at least ``min_recordings`` are false alarms."""
        if len(recordings) < self.min_recordings:
            return None
        false = sorted(
            (r for r in recordings if FALSE_ALARM_LABEL in r.labels), key=lambda r: r.started_at
        )
        share = len(false) / len(recordings)
        if share <= self.max_share:
            return None
        causes: dict[str, int] = {}
        for recording in false:
            for label in recording.labels - {FALSE_ALARM_LABEL}:
                causes[label] = causes.get(label, 0) + 1
        return Finding(
            rule=FALSE_ALARM_RATE,
            phrase=Phrase(
                FALSE_ALARM_SUMMARY,
                {"false": len(false), "total": len(recordings), "percent": round(share * 100)},
            ),
            first_at=false[0].started_at,
            last_at=false[-1].started_at,
            recording_ids=tuple(r.recording_id for r in false),
            times=tuple(r.started_at for r in false),
            measures={
                "false_alarms": len(false),
                "recordings": len(recordings),
                "share": round(share, 3),
                "causes": dict(sorted(causes.items())),
            },
        )


@dataclass(frozen=True)
class FairUseLadder:
    """``ok → warned → throttled``; ``suspended`` is an admin's step and only an admin's undo.

    A warned camera is throttled only when the behaviour went on past the grace period (fresh
    evidence after it), not merely because the old evidence is still inside the window. Any
    state but ``suspended`` returns to ``ok`` as soon as no rule fires.
    """

    grace: timedelta

    def next_state(
        self,
        current: FairUseState,
        since: datetime | None,
        findings: Sequence[Finding],
        now: datetime,
    ) -> FairUseState:
        if current == FairUseState.SUSPENDED:
            return FairUseState.SUSPENDED
        if not findings:
            return FairUseState.OK
        if current == FairUseState.OK:
            return FairUseState.WARNED
        if current == FairUseState.WARNED:
            grace_ends = (since or now) + self.grace
            if now >= grace_ends and any(f.last_at >= grace_ends for f in findings):
                return FairUseState.THROTTLED
            return FairUseState.WARNED
        return FairUseState.THROTTLED
