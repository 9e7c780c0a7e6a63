"""Which lane a validated clip takes: at once, or the delayed lane. Pure.

The rule: docs/cameras.md, The 18-second rule and fair use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core.catalog.states import FairUseState
from pipeline.signature.verdict import DELAYED_LANE, NORMAL_LANE

LONG_CLIP = "long_clip"
FAIRUSE_THROTTLED = "fairuse_throttled"
# Suspended cameras cannot log in; clips spooled before the suspension wait like throttled ones.
SLOWED_STATES = frozenset({FairUseState.THROTTLED, FairUseState.SUSPENDED})


@dataclass(frozen=True)
class LaneDecision:
    lane: str
    reason: str | None = None
    delay: timedelta = timedelta(0)

    @property
    def delayed(self) -> bool:
        return self.lane == DELAYED_LANE


def decide_lane(
    clip_lane: str,
    fairuse_state: FairUseState,
    long_clip_delay: timedelta,
    throttle_delay: timedelta,
) -> LaneDecision:
    """``clip_lane`` is the 18 s rule's answer; a throttled camera delays every clip. A long
    clip from a throttled camera waits for the longer of the two delays and is reported as
    long, because that is the notice its owner needs."""
    long_clip = clip_lane == DELAYED_LANE
    throttled = fairuse_state in SLOWED_STATES
    if long_clip:
        delay = max(long_clip_delay, throttle_delay) if throttled else long_clip_delay
        return LaneDecision(DELAYED_LANE, LONG_CLIP, delay)
    if throttled:
        return LaneDecision(DELAYED_LANE, FAIRUSE_THROTTLED, throttle_delay)
    return LaneDecision(NORMAL_LANE)
