"""Playback copies: an H.264 MP4 for clips that browsers cannot play (AVI, H.265).

The original stays untouched for download; the copy keeps the frame size, rate and frame
times, and carries the audio over only where a browser can play it (AAC, copied as is).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import av

from core.clipstore import ClipStore

logger = logging.getLogger(__name__)

# What every browser's <video> plays: H.264 in MP4 (Chromium and Firefox do not play H.265,
# and no browser plays AVI).
BROWSER_CONTAINERS = frozenset({"mp4"})
BROWSER_VIDEO_CODECS = frozenset({"h264"})
BROWSER_AUDIO_CODECS = frozenset({"aac"})

PLAYBACK_CRF = "23"
DEFAULT_FPS = 15  # only where a file states no rate at all


def needs_playback_copy(container: str, codec: str) -> bool:
    """Whether a clip (sniffed container, FFmpeg video codec name) needs a copy to play."""
    return container not in BROWSER_CONTAINERS or codec not in BROWSER_VIDEO_CODECS


def store_playback_copy(clips: ClipStore, relpath: str, probe: dict[str, Any]) -> str | None:
    """The playback copy's relpath for a stored recording that needs one, made if missing.

    None where the original plays as it is, or where the copy cannot be made: the recording is
    kept and indexed either way (its download is the original).
    """
    if not needs_playback_copy(probe.get("sniffed", "mp4"), probe.get("codec", "")):
        return None
    playback_rel = clips.playback_relpath(relpath)
    source = clips.recording_file(relpath)
    try:
        clips.write_derived(playback_rel, lambda partial: make_playback_copy(source, partial))
    except (av.FFmpegError, ValueError) as error:
        logger.warning("playback copy of %s failed: %s", relpath, error)
        return None
    return playback_rel


def make_playback_copy(source: Path, target: Path, *, threads: int = 0) -> None:
    """Write ``source`` as an H.264 MP4 with its index at the front to ``target``.

    One sequential decode (never a seek); the caller moves ``target`` into place.
    """
    with av.open(str(source), metadata_errors="ignore") as clip:
        video_in = clip.streams.video[0]
        video_in.thread_type = "AUTO"
        audio_in = next(
            (s for s in clip.streams.audio if s.codec_context.name in BROWSER_AUDIO_CODECS), None
        )
        # Moov at the front: the browser starts playing before the whole file has arrived.
        with av.open(str(target), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            video_out = _add_h264_stream(out, video_in, threads)
            audio_out = out.add_stream_from_template(audio_in) if audio_in else None
            streams = [video_in, audio_in] if audio_in else [video_in]
            clock = FrameClock(video_in, constant_rate=clip.format.name == "avi")
            encoded = 0
            for packet in clip.demux(streams):
                if audio_out is not None and packet.stream is audio_in:
                    if packet.dts is not None:
                        packet.stream = audio_out
                        out.mux(packet)
                    continue
                for frame in video_in.decode(packet):
                    frame.pts = clock.pts(frame)
                    frame.time_base = video_out.codec_context.time_base
                    frame.pict_type = av.video.frame.PictureType.NONE
                    out.mux(video_out.encode(frame.reformat(format="yuv420p")))
                    encoded += 1
            out.mux(video_out.encode(None))
    if encoded == 0:
        raise ValueError(f"{source.name} has no decodable video frames")


def _add_h264_stream(out: av.container.OutputContainer, video_in, threads: int):
    rate = video_in.average_rate or video_in.guessed_rate or DEFAULT_FPS
    stream = out.add_stream("libx264", rate=rate)
    stream.width = video_in.codec_context.width
    stream.height = video_in.codec_context.height
    stream.pix_fmt = "yuv420p"
    # The input's clock, so frame times carry over unchanged (cameras' rates vary a little).
    stream.codec_context.time_base = video_in.time_base
    stream.time_base = video_in.time_base
    stream.thread_count = threads
    stream.codec_context.options = {"preset": "veryfast", "crf": PLAYBACK_CRF}
    return stream


class FrameClock:
    """Frame times for the copy, in the input stream's time base.

    A frame's own time where the container has a trustworthy one (kept as is, so copied audio
    stays in step). AVI stores one frame per chunk at a fixed rate and its times are in decode
    order, so there a frame's place at the nominal rate is its time.
    """

    def __init__(self, video_in, *, constant_rate: bool) -> None:
        rate = video_in.average_rate or video_in.guessed_rate or DEFAULT_FPS
        self.step = max(1, round(1 / (rate * video_in.time_base)))
        self.constant_rate = constant_rate
        self.previous: int | None = None

    def pts(self, frame: av.VideoFrame) -> int:
        own = None if self.constant_rate else frame.pts
        if own is None or (self.previous is not None and own <= self.previous):
            own = 0 if self.previous is None else self.previous + self.step
        self.previous = own
        return own
