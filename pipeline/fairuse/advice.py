"""Concrete advice for a camera owner, drawn from the evidence of fair-use findings. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from core.translation import N_, Phrase
from pipeline.fairuse.rules import CONSTANT_ALARM, FALSE_ALARM_RATE, Finding

# Message ids (English), worded in the owner's language when the notice is read.
PIR_LINK = N_(
    "Link the motion alarm to the PIR (heat) sensor (Alarm > Actions: link the detection "
    "areas with the PIR sensor), so that moving shadows, headlights, rain or foliage alone no "
    "longer start a recording."
)
LOWER_SENSITIVITY = N_(
    "Lower the sensitivity of the detection area that covers the moving scene, or switch that "
    "area off (Alarm > Areas)."
)
RAIN = N_(
    "Rain set off %(count)s of the false alarms: the PIR link ignores rain; without it, lower the "
    "sensitivity of areas that show sky, puddles or wet leaves."
)
OBJECT_CHECK = N_(
    "No person, vehicle or animal was seen in these recordings: aim the detection areas at "
    "paths and entrances rather than trees, roads or reflective surfaces."
)
SCHEDULE = N_(
    "%(percent)s %% of these alarms came between %(start)02d:00 and %(end)02d:00 (UTC): if "
    "nobody "
    "needs recordings then, leave those hours out of the alarm schedule (Alarm > Schedule)."
)

# A schedule change only helps if alarms spread over hours bunch into part of the day; for a
# burst of a few minutes the hour says nothing.
SCHEDULE_MAX_SPAN_H = 8
SCHEDULE_MIN_SHARE = 0.6
SCHEDULE_MIN_EVIDENCE_H = 3


def busiest_hours(
    times: Sequence[datetime],
    max_span_h: int = SCHEDULE_MAX_SPAN_H,
    min_share: float = SCHEDULE_MIN_SHARE,
) -> tuple[int, int, float] | None:
    """The shortest span of hours (start, end, share) holding ``min_share`` of ``times``."""
    if not times or (max(times) - min(times)).total_seconds() < SCHEDULE_MIN_EVIDENCE_H * 3600:
        return None
    per_hour = [0] * 24
    for moment in times:
        per_hour[moment.hour] += 1
    for span in range(1, max_span_h + 1):
        counts = [sum(per_hour[(start + i) % 24] for i in range(span)) for start in range(24)]
        count = max(counts)
        best = counts.index(count)
        if count / len(times) >= min_share:
            return best, (best + span) % 24, count / len(times)
    return None


def advice_for(findings: Sequence[Finding]) -> list[Phrase]:
    """What the owner can change in the camera, most effective first, without repeats."""
    advice: list[Phrase] = []
    times: list[datetime] = []
    for finding in findings:
        times.extend(finding.times)
        if finding.rule == CONSTANT_ALARM:
            advice += [Phrase(PIR_LINK), Phrase(LOWER_SENSITIVITY)]
        elif finding.rule == FALSE_ALARM_RATE:
            causes = finding.measures.get("causes", {})
            if causes.get("rain"):
                advice.append(Phrase(RAIN, {"count": causes["rain"]}))
            advice.append(Phrase(PIR_LINK))
            advice.append(Phrase(OBJECT_CHECK if not _saw_objects(causes) else LOWER_SENSITIVITY))
    hours = busiest_hours(times)
    if hours is not None:
        start, end, share = hours
        advice.append(Phrase(SCHEDULE, {"percent": round(share * 100), "start": start, "end": end}))
    unique: list[Phrase] = []
    for item in advice:
        if item not in unique:
            unique.append(item)
    return unique


def _saw_objects(causes: dict[str, int]) -> bool:
    return any(causes.get(label) for label in ("person", "vehicle", "animal"))
