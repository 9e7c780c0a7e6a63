"""SYNTHETIC licence plates with known text, for the plate-reading tests and
`scripts/bench-plates`: rendered here with Debian's DejaVu fonts (fonts-dejavu-core), then
rotated, shrunk to a given plate width, blurred and JPEG-compressed like a crop from a camera
clip. Everything is drawn from a seeded generator, so a set is the same on every run."""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = ("DejaVuSans-Bold.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSansCondensed-Bold.ttf")
# (background, text) colours, RGB: white EU-style, yellow UK rear, black-on-grey.
COLOURS = (
    ((245, 245, 240), (20, 20, 20)),
    ((250, 205, 40), (15, 15, 15)),
    ((215, 215, 210), (10, 10, 10)),
)
# Plate formats: L a letter, D a digit, '-' and ' ' as printed (normalised away when read).
FORMATS = ("LLL-DDDD", "LL DD LLL", "LLDLDD", "LLLDLDD", "DLLL DDD", "LL-LL DDD", "LLDD LLL")
PLATE_WIDTHS = (60, 100, 160)
PLATE_1_CENTRE = (706, 560)  # of the car's plate in ../shared/stills/plate_1.jpg (1280x850)


@dataclass(frozen=True)
class SyntheticPlate:
    text: str  # as printed, with its spaces and dashes
    image: np.ndarray  # BGR, like a plate crop from the analyzer
    width_px: int
    angle_deg: float
    blur_sigma: float
    jpeg_quality: int

    @property
    def expected(self) -> str:
        return "".join(ch for ch in self.text if ch.isalnum())


def fonts_available() -> bool:
    return all((FONT_DIR / name).is_file() for name in FONTS)


def random_text(rng: np.random.Generator) -> str:
    pattern = FORMATS[rng.integers(len(FORMATS))]
    letters, digits = string.ascii_uppercase, string.digits
    return "".join(
        letters[rng.integers(26)] if ch == "L" else digits[rng.integers(10)] if ch == "D" else ch
        for ch in pattern
    )


def render_plate(text: str, font_name: str, colours: tuple, height: int = 110) -> np.ndarray:
    """A sharp plate, RGB, with a border and some margin of car body around it."""
    background, ink = colours
    font = ImageFont.truetype(str(FONT_DIR / font_name), int(height * 0.68))
    left, top, right, bottom = font.getbbox(text)
    width = right - left + int(height * 0.6)
    plate = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(plate)
    draw.rectangle((2, 2, width - 3, height - 3), outline=ink, width=max(2, height // 30))
    draw.text(
        ((width - (right - left)) / 2 - left, (height - (bottom - top)) / 2 - top),
        text,
        font=font,
        fill=ink,
    )
    body = Image.new("RGB", (width + height // 3, height + height // 4), (70, 75, 85))
    body.paste(plate, (height // 6, height // 8))
    return np.asarray(body)


def degrade(
    plate_rgb: np.ndarray, width_px: int, angle_deg: float, blur_sigma: float, jpeg_quality: int
) -> np.ndarray:
    """Rotate, shrink to ``width_px`` wide, blur and JPEG-compress; returns BGR."""
    height, width = plate_rgb.shape[:2]
    rotation = cv2.getRotationMatrix2D((width / 2, height / 2), angle_deg, 1.0)
    rotated = cv2.warpAffine(plate_rgb, rotation, (width, height), borderMode=cv2.BORDER_REPLICATE)
    scale = width_px / width
    small = cv2.resize(
        rotated, (width_px, max(8, round(height * scale))), interpolation=cv2.INTER_AREA
    )
    if blur_sigma > 0:
        small = cv2.GaussianBlur(small, (0, 0), blur_sigma)
    ok, encoded = cv2.imencode(
        ".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality]
    )
    assert ok
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR)


def plate_set(count: int, width_px: int, seed: int = 19) -> list[SyntheticPlate]:
    """``count`` plates of one width, each with its own text, font, colours and damage."""
    rng = np.random.default_rng([seed, width_px])
    plates = []
    for _ in range(count):
        text = random_text(rng)
        font = FONTS[rng.integers(len(FONTS))]
        colours = COLOURS[rng.integers(len(COLOURS))]
        angle = float(rng.uniform(-6, 6))
        blur = float(rng.choice([0.0, 0.5, 0.8]))
        quality = int(rng.choice([40, 60, 80, 95]))
        image = degrade(render_plate(text, font, colours), width_px, angle, blur, quality)
        plates.append(SyntheticPlate(text, image, width_px, angle, blur, quality))
    return plates


def zoom_towards(
    still_rgb: np.ndarray, centre: tuple[int, int], frames: int, end_zoom: float
) -> Callable[[np.ndarray, int], np.ndarray]:
    """A frame filter for `clip_factory`: a camera zooming in on ``centre`` of a still over
    ``frames`` frames (SYNTHETIC motion over a real picture)."""
    height, width = still_rgb.shape[:2]

    def _filter(frame: np.ndarray, index: int) -> np.ndarray:
        zoom = 1.0 + (end_zoom - 1.0) * min(index, frames) / frames
        w, h = width / zoom, height / zoom
        x = min(max(centre[0] - w / 2, 0), width - w)
        y = min(max(centre[1] - h / 2, 0), height - h)
        part = still_rgb[round(y) : round(y + h), round(x) : round(x + w)]
        return cv2.resize(part, (frame.shape[1], frame.shape[0]), interpolation=cv2.INTER_AREA)

    return _filter
