"""Real test files for the signature, 18 s and fair-use tests, made (and cached) on demand."""

from __future__ import annotations

from datetime import datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

# Where length does not matter: 4 s, 640x360 (a Full HD sub-stream), 10 fps, keyframe every 1 s.
SMALL = {"seconds": 4, "width": 640, "height": 360, "fps": 10, "keyframe_s": 1}
# The same camera after a firmware update: another profile and keyframe interval.
OTHER_ENCODER = {**SMALL, "keyframe_s": 2, "profile": "Baseline"}
LONG = {"seconds": 25, "width": 640, "height": 360, "fps": 5, "keyframe_s": 2}


def write_audio_only_mp4(target: Path, seconds: float = 2.0) -> Path:
    """An MP4 with one AAC track and no video, as a microphone-only device might upload."""
    if target.exists():
        return target
    with av.open(str(target), "w") as output:
        stream = output.add_stream("aac", rate=16000)
        stream.time_base = Fraction(1, 16000)
        for start in range(0, round(seconds * 16000), 1024):
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, 1024), dtype=np.float32), format="fltp", layout="mono"
            )
            frame.sample_rate = 16000
            frame.pts = start
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
    return target


def alarm_names(count: int, every_s: float, start: datetime) -> list[str]:
    """Camera-style names (``A<date>_<time>``) of clips following each other."""
    return [
        (start + timedelta(seconds=index * every_s)).strftime("A%Y%m%d_%H%M%S.mp4")
        for index in range(count)
    ]
