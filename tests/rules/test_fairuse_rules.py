"""Constant alarm, false-alarm rate, the ladder and the advice: pure, with tiny histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.catalog.states import FairUseState
from core.translation import Phrase, translations
from pipeline.fairuse.advice import (
    LOWER_SENSITIVITY,
    OBJECT_CHECK,
    PIR_LINK,
    advice_for,
    busiest_hours,
)
from pipeline.fairuse.rules import (
    CONSTANT_ALARM,
    FALSE_ALARM_RATE,
    AlarmClip,
    ConstantAlarmRule,
    FairUseLadder,
    FalseAlarmRateRule,
    Finding,
    LabelledRecording,
    alarm_runs,
)

pytestmark = pytest.mark.both_engines

T0 = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)


def back_to_back(
    count: int, *, gap_s: float = 0.5, length_s: float = 18.0, start: datetime = T0
) -> list[AlarmClip]:
    clips, at = [], start
    for index in range(count):
        clips.append(AlarmClip(f"job{index}", at, length_s, recording_id=index + 1))
        at += timedelta(seconds=length_s + gap_s)
    return clips


def test_gap_under_g_continues_a_run_and_gap_of_g_ends_it():
    first = AlarmClip("a", T0, 18.0)
    assert len(alarm_runs([first, AlarmClip("b", T0 + timedelta(seconds=18 + 29.9), 18)], 30)) == 1
    assert len(alarm_runs([first, AlarmClip("b", T0 + timedelta(seconds=18 + 30), 18)], 30)) == 2


def test_overlapping_and_unsorted_clips_form_one_run():
    clips = [AlarmClip("b", T0 + timedelta(seconds=10), 18), AlarmClip("a", T0, 18)]
    [run] = alarm_runs(clips, 1)
    assert [clip.job_id for clip in run] == ["a", "b"]


def test_burst_of_40_back_to_back_clips_is_a_constant_alarm_with_all_clips_as_evidence():
    clips = back_to_back(40)  # 40 x 18 s + 39 x 0.5 s, about 12.3 minutes
    finding = ConstantAlarmRule(gap_s=30, min_run_s=10 * 60).find(clips)
    assert finding.rule == CONSTANT_ALARM
    assert finding.job_ids == tuple(f"job{i}" for i in range(40))
    assert finding.recording_ids == tuple(range(1, 41))
    assert finding.measures["clips"] == 40
    assert finding.first_at == T0
    assert finding.last_at == clips[-1].ended_at


def test_run_exactly_w_long_is_not_yet_a_constant_alarm():
    clips = back_to_back(10, gap_s=0, length_s=6)  # exactly 60 s
    assert ConstantAlarmRule(gap_s=1, min_run_s=60).find(clips) is None
    assert ConstantAlarmRule(gap_s=1, min_run_s=59.9).find(clips) is not None


def test_pauses_of_g_split_a_long_afternoon_into_short_runs():
    clips = back_to_back(40, gap_s=30)
    assert ConstantAlarmRule(gap_s=30, min_run_s=60).find(clips) is None


def test_longest_violating_run_is_reported():
    short = back_to_back(5)
    long = back_to_back(20, start=T0 + timedelta(hours=2))
    finding = ConstantAlarmRule(gap_s=30, min_run_s=60).find(short + long)
    assert finding.measures["clips"] == 20


def test_no_clips_no_finding():
    assert ConstantAlarmRule(gap_s=30, min_run_s=60).find([]) is None


def recordings(false: int, total: int, extra_labels=frozenset()) -> list[LabelledRecording]:
    return [
        LabelledRecording(
            i,
            T0 + timedelta(minutes=i),
            frozenset({"false_alarm", *extra_labels}) if i < false else frozenset({"person"}),
        )
        for i in range(total)
    ]


def test_false_alarm_share_at_the_threshold_is_fine_and_above_it_fires():
    rule = FalseAlarmRateRule(max_share=0.8, min_recordings=10)
    assert rule.find(recordings(8, 10)) is None
    finding = rule.find(recordings(9, 10))
    assert finding.rule == FALSE_ALARM_RATE
    assert finding.measures["share"] == 0.9
    assert finding.recording_ids == tuple(range(9))


def test_false_alarm_rate_needs_enough_recordings():
    rule = FalseAlarmRateRule(max_share=0.5, min_recordings=10)
    assert rule.find(recordings(9, 9)) is None
    assert rule.find(recordings(10, 10)) is not None


def test_false_alarm_causes_are_counted_from_the_other_labels():
    finding = FalseAlarmRateRule(0.5, 1).find(recordings(4, 4, {"rain"}))
    assert finding.measures["causes"] == {"rain": 4}


def finding(rule: str = CONSTANT_ALARM, last_at: datetime = T0, times=()) -> Finding:
    return Finding(rule, Phrase("summary"), T0, last_at, times=tuple(times))


LADDER = FairUseLadder(grace=timedelta(hours=48))


def test_ok_camera_with_a_finding_is_warned():
    assert LADDER.next_state(FairUseState.OK, None, [finding()], T0) == FairUseState.WARNED


def test_ok_camera_without_findings_stays_ok():
    assert LADDER.next_state(FairUseState.OK, None, [], T0) == FairUseState.OK


def test_warned_camera_within_the_grace_period_stays_warned():
    now = T0 + timedelta(hours=47, minutes=59)
    assert (
        LADDER.next_state(FairUseState.WARNED, T0, [finding(last_at=now)], now)
        == FairUseState.WARNED
    )


def test_warned_camera_still_alarming_after_the_grace_period_is_throttled():
    now = T0 + timedelta(hours=48)
    assert (
        LADDER.next_state(FairUseState.WARNED, T0, [finding(last_at=now)], now)
        == FairUseState.THROTTLED
    )


def test_warned_camera_with_only_old_evidence_in_the_window_is_not_throttled():
    now = T0 + timedelta(hours=50)
    old = finding(last_at=T0 + timedelta(hours=1))
    assert LADDER.next_state(FairUseState.WARNED, T0, [old], now) == FairUseState.WARNED


@pytest.mark.parametrize("state", [FairUseState.WARNED, FairUseState.THROTTLED])
def test_camera_returns_to_ok_on_its_own_when_the_behaviour_stops(state):
    assert LADDER.next_state(state, T0, [], T0 + timedelta(hours=1)) == FairUseState.OK


def test_throttled_camera_with_findings_stays_throttled():
    assert LADDER.next_state(FairUseState.THROTTLED, T0, [finding()], T0) == FairUseState.THROTTLED


@pytest.mark.parametrize("findings", [[], [finding()]])
def test_only_an_admin_lifts_a_suspension(findings):
    assert (
        LADDER.next_state(FairUseState.SUSPENDED, T0, findings, T0 + timedelta(days=30))
        == FairUseState.SUSPENDED
    )


def test_ladder_never_suspends_on_its_own():
    state, now = FairUseState.OK, T0
    for hour in range(0, 200, 12):
        now = T0 + timedelta(hours=hour)
        state = LADDER.next_state(state, T0, [finding(last_at=now)], now)
    assert state == FairUseState.THROTTLED


def test_constant_alarm_advice_names_the_pir_link_and_area_sensitivity():
    advice = advice_for([finding()])
    assert advice[:2] == [Phrase(PIR_LINK), Phrase(LOWER_SENSITIVITY)]


def test_rain_false_alarms_get_rain_advice_first():
    rain = FalseAlarmRateRule(0.5, 1).find(recordings(4, 4, {"rain"}))
    advice = advice_for([rain])
    assert advice[0].words().startswith("Rain set off 4 of the false alarms")
    assert advice[0].words(translations("de")).startswith("Regen hat 4 der Fehlalarme ausgelöst")
    assert Phrase(PIR_LINK) in advice


def test_false_alarms_without_objects_get_the_aiming_advice():
    plain = FalseAlarmRateRule(0.5, 1).find(recordings(4, 4))
    assert Phrase(OBJECT_CHECK) in advice_for([plain])


def test_advice_is_not_repeated_for_two_findings():
    advice = advice_for([finding(), FalseAlarmRateRule(0.5, 1).find(recordings(4, 4))])
    worded = [item.words() for item in advice]
    assert len(worded) == len(set(worded))


def test_night_alarms_over_many_hours_suggest_a_schedule_change():
    nights = [
        T0.replace(hour=23) + timedelta(days=d, minutes=m)
        for d in range(3)
        for m in (0, 90, 200, 320)
    ]
    # 23:00, 00:30, 02:20 and 04:20 on three nights: 23-03 is the shortest span with 60%.
    assert busiest_hours(nights) == (23, 3, 0.75)
    advice = [item.words() for item in advice_for([finding(times=nights)])]
    assert "75 % of these alarms came between 23:00 and 03:00 (UTC)" in advice[-1]
    assert advice[-1].endswith("(Alarm > Schedule).")


def test_a_burst_of_minutes_gives_no_schedule_advice():
    burst = [clip.started_at for clip in back_to_back(40)]
    assert busiest_hours(burst) is None
    assert not any("Schedule" in item.words() for item in advice_for([finding(times=burst)]))


def test_alarms_spread_over_the_day_give_no_schedule_advice():
    spread = [T0.replace(hour=0) + timedelta(hours=h) for h in range(24)]
    assert busiest_hours(spread) is None
