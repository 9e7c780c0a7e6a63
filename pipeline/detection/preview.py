"""The clip's animated preview: the frames the analysis decodes anyway, as a small animated WebP.

No frame is decoded for the preview: `ClipAnalyzer` hands over each frame it decodes for its
own sampling plan (every keyframe, plus frames inside motion bursts), and this only scales it
down and encodes. So a clip with a visitor between two keyframes shows the visitor too.

Why animated WebP and not a tiny MP4: it is an image, so the list swaps the poster's ``src``
on hover or tap and it plays in every current browser (Safari and iOS since 14) without a
``<video>`` element per row, without autoplay rules (iOS low-power mode refuses to start muted
videos) and without a codec licence question; the frames are one or two seconds apart, where a
video codec's motion prediction saves little.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
from PIL import Image

# Each frame is shown this long (ms), whatever its distance in the clip: a 18 s clip sampled
# every 1-2 s becomes a 3-5 s loop.
FRAME_MS = 300
# A preview never holds more frames than this (evenly thinned), so its size stays bounded.
MAX_FRAMES = 20
# WebP quality steps tried until the file fits ``max_bytes``.
QUALITIES = (60, 45, 30)


@dataclass
class PreviewFrames:
    """Small RGB copies of the analysed frames, in clip order; ``write`` makes the WebP."""

    size: tuple[int, int]  # width, height of the preview
    max_bytes: int
    frames: list[tuple[float, np.ndarray]] = field(default_factory=list)

    def offer(self, frame: av.VideoFrame, t_s: float) -> None:
        width, height = self.size
        image = frame.to_ndarray(format="rgb24", width=width, height=height, interpolation="AREA")
        self.frames.append((t_s, image))

    def chosen(self) -> list[np.ndarray]:
        """At most MAX_FRAMES, evenly spread over the clip, first and last kept."""
        ordered = [image for _, image in sorted(self.frames, key=lambda item: item[0])]
        if len(ordered) <= MAX_FRAMES:
            return ordered
        picks = np.linspace(0, len(ordered) - 1, MAX_FRAMES).round().astype(int)
        return [ordered[index] for index in sorted(set(picks.tolist()))]

    def encode(self) -> bytes | None:
        """The animated WebP, or None with fewer than two frames (the poster says it all)."""
        images = [Image.fromarray(array) for array in self.chosen()]
        if len(images) < 2:
            return None
        thinned = images[::2]
        for frames in (images, thinned) if len(thinned) >= 2 else (images,):
            for quality in QUALITIES:
                buffer = io.BytesIO()
                frames[0].save(
                    buffer,
                    format="WEBP",
                    save_all=True,
                    append_images=frames[1:],
                    duration=FRAME_MS,
                    loop=0,
                    quality=quality,
                    # libwebp's effort: 1 instead of the default 4 halves the encode time
                    # (+0.02-0.045 instead of +0.07 core-s per clip) for ~20 % more bytes.
                    method=1,
                )
                if buffer.tell() <= self.max_bytes:
                    return buffer.getvalue()
        return None  # even the smallest try is too big: no preview rather than a heavy one

    def write(self, target: Path) -> Path | None:
        """Write atomically beside the poster; None when there is nothing worth showing."""
        data = self.encode()
        if data is None:
            return None
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
        return target
