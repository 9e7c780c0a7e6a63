"""The sampling plan from packet sizes alone: no video needed."""

from __future__ import annotations

from pipeline.detection.sampling import PacketInfo, plan_samples

FPS = 15
GOP = 30  # a keyframe every 2 s


def packets(sizes: list[int]) -> list[PacketInfo]:
    return [
        PacketInfo(pts=i * 1000, t_s=i / FPS, size=size, keyframe=i % GOP == 0)
        for i, size in enumerate(sizes)
    ]


def still(frames: int = 270) -> list[int]:
    return [60_000 if i % GOP == 0 else 400 for i in range(frames)]


def test_every_keyframe_is_planned_and_a_still_scene_needs_nothing_more():
    plan = plan_samples(packets(still()))
    assert plan.keyframes == {i * 1000 for i in range(0, 270, GOP)}
    assert plan.extra == set()


def test_a_burst_between_keyframes_gets_two_frames_inside_it():
    sizes = still()
    burst = range(95, 110)  # 6.3-7.3 s, between the keyframes at 6 and 8 s
    for i in burst:
        sizes[i] = 9_000
    plan = plan_samples(packets(sizes))
    assert len(plan.extra) == 2
    assert all(burst.start * 1000 <= pts < burst.stop * 1000 for pts in plan.extra)
    assert plan.extra_by_gop == {90_000: plan.extra}


def test_steady_motion_all_clip_long_adds_no_frames():
    sizes = [60_000 if i % GOP == 0 else 8_000 + (i % 3) * 500 for i in range(270)]
    assert plan_samples(packets(sizes)).extra == set()


def test_noise_in_tiny_frames_is_not_a_burst():
    sizes = still()
    for i in range(40, 50):
        sizes[i] = 900  # doubled, but only a few hundred bytes: sensor noise
    assert plan_samples(packets(sizes)).extra == set()


def test_extra_frames_are_capped_strongest_bursts_first():
    sizes = still()
    for gop, size in zip(
        range(1, 9), (3000, 4000, 5000, 6000, 7000, 8000, 9000, 10000), strict=True
    ):
        for i in range(gop * GOP + 5, gop * GOP + 20):
            sizes[i] = size
    plan = plan_samples(packets(sizes), max_extra=3)
    assert len(plan.extra) == 3
    # The two strongest bursts (GOPs 8 and 7) win.
    assert set(plan.extra_by_gop) == {7 * GOP * 1000, 8 * GOP * 1000}


def test_zero_budget_means_keyframes_only():
    sizes = still()
    for i in range(95, 110):
        sizes[i] = 9_000
    assert plan_samples(packets(sizes), max_extra=0).extra == set()
