"""What a JPEG snapshot is: its markers read by hand, then one full decode.

The markers give the size before any pixel is decoded, so an absurd size is refused without
decoding it; the decode (FFmpeg, as for clips) proves that the bytes between the markers are
an image. A file that stops before its end-of-image marker was cut off on the way (plain FTP
cannot tell).
Runs where `probe_clip` runs: in the media worker, away from the daemon.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av

SOI = b"\xff\xd8"
EOI = b"\xff\xd9"
SOS = 0xDA
# Start-of-frame markers (baseline, progressive, lossless, arithmetic); C4, C8, CC are not.
SOF_MARKERS = frozenset({*range(0xC0, 0xD0)} - {0xC4, 0xC8, 0xCC})
# Markers without a length field.
STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
# Far above any camera's sensor (2560x1440 is 3.7 Mpx): larger is refused before decoding.
MAX_STILL_PIXELS = 16_000_000


@dataclass(frozen=True)
class StillProbe:
    """What `probe_still` found; ``error`` None means a whole JPEG that decodes."""

    width: int = 0
    height: int = 0
    components: int = 0
    progressive: bool = False
    # Why the file is cut off (no end-of-image marker); None when whole.
    truncation: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.truncation is None

    def as_dict(self) -> dict[str, Any]:
        """As stored with the job (``jobs.probe_json``)."""
        return {
            "width": self.width,
            "height": self.height,
            "components": self.components,
            "progressive": self.progressive,
        }


class _BadMarkers(ValueError):
    pass


def probe_still(path: Path) -> StillProbe:
    """Read ``path`` as a JPEG; never raises for bad input (``error`` says what is wrong)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return StillProbe(error=f"cannot read: {error.strerror}")
    try:
        width, height, components, progressive = read_frame_header(data)
    except _BadMarkers as bad:
        return StillProbe(error=str(bad))
    found = StillProbe(width, height, components, progressive)
    # Some encoders pad the file after the end-of-image marker with zeros.
    if not data.rstrip(b"\x00").endswith(EOI):
        return StillProbe(
            width, height, components, progressive, truncation="no end-of-image marker"
        )
    if width * height > MAX_STILL_PIXELS:
        return StillProbe(width, height, components, progressive, error="image too large")
    problem = decode_problem(data, width, height)
    if problem is not None:
        return StillProbe(width, height, components, progressive, error=problem)
    return found


def read_frame_header(data: bytes) -> tuple[int, int, int, bool]:
    """(width, height, components, progressive) from the start-of-frame segment, walking the
    marker segments from the start-of-image marker to the start of the scan."""
    if not data.startswith(SOI):
        raise _BadMarkers("no start-of-image marker")
    frame: tuple[int, int, int, bool] | None = None
    at = 2
    while True:
        if at + 2 > len(data) or data[at] != 0xFF:
            raise _BadMarkers(f"no marker at byte {at}")
        while at + 1 < len(data) and data[at + 1] == 0xFF:
            at += 1  # fill bytes
        marker = data[at + 1]
        at += 2
        if marker in STANDALONE:
            continue
        if marker == EOI[1]:
            raise _BadMarkers("end-of-image marker before any scan")
        if at + 2 > len(data):
            raise _BadMarkers("segment length past the end")
        length = int.from_bytes(data[at : at + 2], "big")
        if length < 2 or at + length > len(data):
            raise _BadMarkers(f"segment 0x{marker:02X} has a bad length")
        if marker in SOF_MARKERS:
            if length < 8:
                raise _BadMarkers("start-of-frame segment too short")
            height = int.from_bytes(data[at + 3 : at + 5], "big")
            width = int.from_bytes(data[at + 5 : at + 7], "big")
            components = data[at + 7]
            if not width or not height or components not in (1, 3):
                raise _BadMarkers(f"frame header {width}x{height}, {components} components")
            frame = (width, height, components, marker in (0xC2, 0xC6, 0xCA, 0xCE))
        if marker == SOS:
            if frame is None:
                raise _BadMarkers("scan before any start-of-frame segment")
            return frame
        at += length


def decode_problem(data: bytes, width: int, height: int) -> str | None:
    """None if FFmpeg's JPEG decoder decodes ``data`` into one picture of the size its header
    says, else what went wrong. ``err_detect=explode`` makes a damaged scan an error: without
    it the decoder (and libjpeg, so Pillow) fills what it cannot read with grey."""
    decoder = av.CodecContext.create("mjpeg", "r")
    decoder.options = {"err_detect": "explode"}
    try:
        frames = [*decoder.decode(av.Packet(data)), *decoder.decode(None)]
    except (av.FFmpegError, ValueError) as error:
        return f"does not decode ({error})"
    if len(frames) != 1:
        return f"decodes into {len(frames)} pictures"
    if (frames[0].width, frames[0].height) != (width, height):
        return f"decodes at {frames[0].width}x{frames[0].height}, not its header's size"
    return None
