"""Which frames of a clip to analyse: every keyframe, plus a few frames inside motion bursts.

Keyframes are cheap to decode on their own (``skip_frame="NONKEY"``). A visitor who comes and
goes between two keyframes leaves no trace on them, but it does on the compressed sizes of the
frames in between: a P-frame grows with what changed. So the plan is made from the packets'
sizes alone, before anything is decoded, and only the groups of pictures with a burst are
decoded further (sequentially, up to the chosen frames).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Sizes are smoothed over this many frames: with B-frames, sizes alternate big/small.
SMOOTHING_FRAMES = 5
# Bursts shorter than this (seconds) are encoder noise, not something that walked by.
MIN_BURST_S = 0.2
# A burst this long (seconds) gets two samples so that a visitor can "persist".
TWO_SAMPLE_BURST_S = 0.6
# A burst must also be this many bytes per frame above the median: a still scene's tiny
# P-frames double from sensor noise alone.
MIN_BURST_BYTES = 600


@dataclass(frozen=True)
class PacketInfo:
    pts: int
    t_s: float
    size: int
    keyframe: bool


@dataclass
class SamplingPlan:
    keyframes: set[int] = field(default_factory=set)  # pts
    extra: set[int] = field(default_factory=set)  # pts of frames inside motion bursts
    # keyframe pts -> extra pts in the group of pictures that starts there
    extra_by_gop: dict[int, set[int]] = field(default_factory=dict)

    def wanted(self, pts: int) -> bool:
        return pts in self.keyframes or pts in self.extra


def plan_samples(
    packets: list[PacketInfo],
    *,
    burst_ratio: float = 2.0,
    max_extra: int = 6,
) -> SamplingPlan:
    """Keyframes plus up to ``max_extra`` frames in the strongest motion bursts."""
    frames = sorted(packets, key=lambda packet: packet.pts)
    plan = SamplingPlan(keyframes={p.pts for p in frames if p.keyframe})
    if not frames:
        return plan
    if not plan.keyframes:  # a stream that starts mid-GOP: its first frame is decodable
        plan.keyframes.add(frames[0].pts)
    if max_extra == 0:
        return plan
    sizes = np.array([0 if p.keyframe else p.size for p in frames], dtype=np.float64)
    inter = ~np.array([p.keyframe for p in frames])
    if inter.sum() < SMOOTHING_FRAMES:
        return plan
    # Keyframes are replaced by their neighbours' sizes so they do not look like motion.
    filled = sizes.copy()
    filled[~inter] = np.interp(np.flatnonzero(~inter), np.flatnonzero(inter), sizes[inter])
    smooth = np.convolve(filled, np.ones(SMOOTHING_FRAMES) / SMOOTHING_FRAMES, mode="same")
    median = float(np.median(smooth[inter]))
    active = (smooth > burst_ratio * median) & (smooth > median + MIN_BURST_BYTES) & inter
    bursts = []
    for start, stop in _runs(active, frames):
        duration = frames[stop - 1].t_s - frames[start].t_s
        if duration < MIN_BURST_S:
            continue
        energy = float(smooth[start:stop].sum() - median * (stop - start))
        bursts.append((energy, start, stop, duration))
    chosen: list[int] = []
    for _energy, start, stop, duration in sorted(bursts, reverse=True):
        span = stop - start
        points = (1 / 3, 2 / 3) if duration >= TWO_SAMPLE_BURST_S else (1 / 2,)
        for point in points:
            if len(chosen) < max_extra:
                chosen.append(start + min(span - 1, int(span * point)))
    gop_starts = sorted(plan.keyframes)
    for index in chosen:
        pts = frames[index].pts
        plan.extra.add(pts)
        gop = max((k for k in gop_starts if k <= pts), default=gop_starts[0])
        plan.extra_by_gop.setdefault(gop, set()).add(pts)
    return plan


def _runs(active: np.ndarray, frames: list[PacketInfo]) -> list[tuple[int, int]]:
    """[start, stop) of runs of active frames, split at keyframes (each GOP on its own)."""
    runs, start = [], None
    for index, is_active in enumerate(active):
        if frames[index].keyframe or not is_active:
            if start is not None:
                runs.append((start, index))
                start = None
            continue
        if start is None:
            start = index
    if start is not None:
        runs.append((start, len(active)))
    return runs
