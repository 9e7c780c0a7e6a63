"""Encode H.264 clips the way an INSTAR camera does, from any source video.

For the fake camera, the tests and the benchmarks: real footage is looped, scaled and
re-encoded to a camera's frame size, rate and keyframe interval. Not used when serving.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

FrameFilter = Callable[[np.ndarray, int], np.ndarray]


def _source_frames(source: Path) -> Iterator[np.ndarray]:
    """Frames of ``source`` as RGB arrays, looping forever."""
    while True:
        produced = False
        with av.open(str(source)) as container:
            for frame in container.decode(video=0):
                produced = True
                yield frame.to_ndarray(format="rgb24")
        if not produced:
            raise ValueError(f"{source} has no decodable video frames")


def make_clip(
    source: Path,
    target: Path,
    *,
    seconds: float = 18.0,
    width: int = 1280,
    height: int = 720,
    fps: int = 15,
    keyframe_s: float = 2.0,
    codec: str = "libx264",
    container_format: str | None = None,
    profile: str | None = None,
    crf: int = 28,
    frame_filter: FrameFilter | None = None,
    audio: bool = False,
) -> Path:
    """Write ``seconds`` of ``source`` to ``target`` as the camera would; returns ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    total = round(seconds * fps)
    options = {"crf": str(crf), "preset": "veryfast"} if codec == "libx264" else {}
    with av.open(str(target), "w", format=container_format) as output:
        stream = output.add_stream(codec, rate=fps)
        if not isinstance(stream, av.VideoStream):
            raise ValueError(f"{codec} is not a video codec")
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        stream.gop_size = max(1, round(keyframe_s * fps))
        stream.codec_context.options = {**options, "sc_threshold": "0"} if options else {}
        if profile:
            stream.codec_context.profile = profile
        stream.time_base = Fraction(1, fps)
        audio_stream = output.add_stream("aac", rate=16000) if audio else None
        frames = _source_frames(source)
        for index in range(total):
            image = next(frames)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(
                width=width, height=height
            )
            if frame_filter is not None:
                frame = av.VideoFrame.from_ndarray(
                    frame_filter(frame.to_ndarray(format="rgb24"), index), format="rgb24"
                )
            frame.pts = index
            for packet in stream.encode(frame):
                output.mux(packet)
        for packet in stream.encode():
            output.mux(packet)
        if audio_stream is not None:
            _write_silence(output, audio_stream, seconds)
    return target


def _write_silence(output: av.container.OutputContainer, stream, seconds: float) -> None:
    rate = stream.rate
    samples = 1024
    for start in range(0, round(seconds * rate), samples):
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, samples), dtype=np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate = rate
        frame.pts = start
        for packet in stream.encode(frame):
            output.mux(packet)
    for packet in stream.encode():
        output.mux(packet)
