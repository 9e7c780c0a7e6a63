"""Encode H.264 clips the way an INSTAR camera does, from any source video or a made-up scene.

For the fake camera, the tests and the benchmarks: real footage is looped, scaled and
re-encoded to a camera's frame size, rate and keyframe interval. Without footage a synthetic
yard scene is encoded instead (textured ground, sky, two shapes crossing, sensor grain), so
tests that need real H.264 but not a real scene do not depend on ../shared. Not used when
serving.
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


# Frames of grain, cycled: fresh noise every frame would cost more to make than to encode.
GRAIN_FRAMES = 8


def synthetic_scene(width: int, height: int, seed: int = 0) -> Iterator[np.ndarray]:
    """An endless made-up camera view as RGB frames of ``width`` x ``height``.

    Not a real scene (no detector should find anything in it), but real video for an encoder:
    a fixed textured background, a slow and a fast shape crossing it (so P-frames carry motion,
    not just noise) and a little sensor grain, which gives clips a bit rate near a camera's.
    Deterministic for a given ``seed``: the same arguments give the same pictures.
    """
    rng = np.random.default_rng(seed)
    background = _textured_background(width, height, rng)
    grain = [
        rng.integers(-5, 6, size=(height, width, 1), dtype=np.int16) for _ in range(GRAIN_FRAMES)
    ]
    walker = _striped_patch(max(4, height // 5), max(2, width // 24), (180, 60, 40))
    vehicle = _striped_patch(max(4, height // 6), max(4, width // 5), (40, 70, 160))
    index = 0
    while True:
        frame = background.copy()
        _paste(frame, walker, x=_crossing(index, width, 150), y=height // 2)
        _paste(frame, vehicle, x=width - _crossing(index, width, 60), y=height - height // 4)
        frame += grain[index % GRAIN_FRAMES]
        yield np.clip(frame, 0, 255).astype(np.uint8)
        index += 1


def _textured_background(width: int, height: int, rng: np.random.Generator) -> np.ndarray:
    """Sky over uneven ground, as int16 RGB (room for grain before clipping)."""
    brightness = rng.integers(50, 170, size=(max(2, height // 12), max(2, width // 12), 1))
    coarse = brightness * np.array([0.7, 1.0, 0.5])  # greenish, like a lawn
    ground = (
        av.VideoFrame.from_ndarray(coarse.astype(np.uint8), format="rgb24")
        .reformat(width=width, height=height)
        .to_ndarray(format="rgb24")
        .astype(np.int16)
    )
    horizon = height // 3
    sky = np.linspace(230, 150, horizon, dtype=np.int16)[:, None, None]
    ground[:horizon] = sky - np.array([40, 20, 0], dtype=np.int16)  # bluish, lighter on top
    return ground


def _striped_patch(height: int, width: int, colour: tuple[int, int, int]) -> np.ndarray:
    patch = np.empty((height, width, 3), dtype=np.int16)
    patch[:] = colour
    patch[::4] //= 2  # stripes give the encoder edges to track
    return patch


def _crossing(index: int, width: int, frames_to_cross: int) -> int:
    """Left edge of something crossing ``width`` pixels in ``frames_to_cross`` frames, looping."""
    return (index % frames_to_cross) * width // frames_to_cross


def _paste(frame: np.ndarray, patch: np.ndarray, *, x: int, y: int) -> None:
    """Draw ``patch`` with its top-left corner at (x, y), cut off at the frame's edges."""
    height, width = frame.shape[:2]
    bottom, right = min(height, y + patch.shape[0]), min(width, x + patch.shape[1])
    if bottom > y and right > x:
        frame[y:bottom, x:right] = patch[: bottom - y, : right - x]


def make_clip(
    source: Path | None,
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
    faststart: bool = False,
) -> Path:
    """Write ``seconds`` of ``source`` to ``target`` as the camera would; returns ``target``.

    ``source`` is a real video, looped as needed, or ``None`` for `synthetic_scene`.

    An MP4's index (``moov``) goes after the media data, as a camera recording to its SD card
    writes it, or with ``faststart`` before it, as cameras that stream the file while recording
    (and web servers) want it.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    total = round(seconds * fps)
    options = {"crf": str(crf), "preset": "veryfast"} if codec == "libx264" else {}
    muxer_options = {"movflags": "+faststart"} if faststart else {}
    with av.open(str(target), "w", format=container_format, options=muxer_options) as output:
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
        frames = _source_frames(source) if source is not None else synthetic_scene(width, height)
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
