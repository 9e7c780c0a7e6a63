"""The lane a validated clip takes: 18 s rule and fair-use throttling together."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.catalog.states import FairUseState
from pipeline.lanes import FAIRUSE_THROTTLED, LONG_CLIP, decide_lane

LONG, THROTTLE = timedelta(minutes=60), timedelta(minutes=30)


def test_standard_clip_of_an_ok_camera_goes_through_at_once():
    decision = decide_lane("normal", FairUseState.OK, LONG, THROTTLE)
    assert (decision.lane, decision.reason, decision.delayed) == ("normal", None, False)


@pytest.mark.parametrize("state", [FairUseState.OK, FairUseState.WARNED])
def test_long_clip_is_delayed_by_the_long_clip_delay(state):
    decision = decide_lane("delayed", state, LONG, THROTTLE)
    assert (decision.lane, decision.reason, decision.delay) == ("delayed", LONG_CLIP, LONG)


@pytest.mark.parametrize("state", [FairUseState.THROTTLED, FairUseState.SUSPENDED])
def test_throttled_camera_delays_even_standard_clips(state):
    decision = decide_lane("normal", state, LONG, THROTTLE)
    assert (decision.reason, decision.delay) == (FAIRUSE_THROTTLED, THROTTLE)


def test_long_clip_of_a_throttled_camera_waits_the_longer_delay():
    assert decide_lane(
        "delayed", FairUseState.THROTTLED, LONG, timedelta(hours=2)
    ).delay == timedelta(hours=2)
    assert decide_lane("delayed", FairUseState.THROTTLED, LONG, THROTTLE).delay == LONG
