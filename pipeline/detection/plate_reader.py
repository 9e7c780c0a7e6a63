"""Reading licence plates: the text on the plate crops that `plates.PlateFinder` makes.

Only the text-recognition model of PP-OCRv4 runs (a CRNN with CTC output, ~11 MB), straight on
the plate crop: the plate detector already says where the text is, so OCR's own text detector
and angle classifier would only add cost. The model comes inside the ``rapidocr-onnxruntime``
wheel (installed without its dependencies, see the Makefile: they would put opencv-python over
opencv-python-headless); none of that package's code is imported, only its model file is read.

The model reads some 6 600 characters (Chinese, Latin, digits, punctuation); plates are read
with the output restricted to A-Z and 0-9, which removes look-alike punctuation and CJK guesses.
"""

from __future__ import annotations

import importlib.metadata
import logging
import string
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from core.detection.plate_text import normalise_plate, plate_key
from pipeline.detection.errors import ModelUnavailable
from pipeline.detection.onnx_session import open_session

logger = logging.getLogger(__name__)

RECOGNITION_PACKAGE = "rapidocr-onnxruntime"
RECOGNITION_MODEL = "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx"
INPUT_HEIGHT = 48  # the model's fixed input height; the width follows the crop's aspect
MIN_INPUT_WIDTH = 160
MAX_INPUT_WIDTH = 480
PLATE_CHARACTERS = frozenset(string.ascii_uppercase + string.digits)
MIN_TEXT_LENGTH = 2
# Horizontal bands of the crop (top, bottom as shares of its height) read as one batch; the
# reading most agree on wins. A plate crop often carries a second, smaller line (a country
# band, a dealer's name) that pulls a single whole-crop reading off by a character. Three bands
# cost half of five at the same accuracy (scripts/bench-plates).
BANDS = ((0.1, 0.9), (0.2, 1.0), (0.0, 0.85))


@dataclass(frozen=True)
class PlateText:
    text: str  # normalised: upper case, letters and digits only
    score: float  # mean probability of its characters, 0..1


def bundled_model_path() -> Path:
    """The recognition model inside the installed rapidocr-onnxruntime wheel."""
    try:
        distribution = importlib.metadata.distribution(RECOGNITION_PACKAGE)
    except importlib.metadata.PackageNotFoundError as error:
        raise ModelUnavailable(
            RECOGNITION_MODEL, f"{RECOGNITION_PACKAGE} is not installed (see the Makefile)"
        ) from error
    return Path(str(distribution.locate_file(RECOGNITION_MODEL)))


class PlateReader:
    """Reads the text of plate crops with one ONNX Runtime session, loaded once."""

    name = "ppocrv4-rec"

    def __init__(self, model_path: Path | None = None, *, intra_op_threads: int = 1) -> None:
        path = model_path or bundled_model_path()
        self.session = open_session(path, intra_op_threads=intra_op_threads)
        self.input_name = self.session.get_inputs()[0].name
        meta = self.session.get_modelmeta().custom_metadata_map
        if "character" not in meta:
            raise ModelUnavailable(path, "no character list in its metadata")
        # CTC: index 0 is the blank, then the model's characters, then a space. Each plate
        # character gathers the model's classes for it (its upper and lower case).
        characters = ["", *meta["character"].splitlines(), " "]
        self.characters = ["", *sorted(PLATE_CHARACTERS)]
        self.classes = [[0]] + [
            [i for i, c in enumerate(characters) if c.upper() == plate_character]
            for plate_character in self.characters[1:]
        ]
        if not all(self.classes):
            raise ModelUnavailable(path, "its characters lack some of A-Z and 0-9")

    def read(self, crops: list[np.ndarray]) -> list[PlateText | None]:
        """The text of each BGR crop, or None where nothing plate-like was read."""
        return [self._read_one(crop) for crop in crops]

    def _read_one(self, crop: np.ndarray) -> PlateText | None:
        if crop.ndim != 3 or crop.shape[0] < 4 or crop.shape[1] < 8:
            return None
        height = crop.shape[0]
        bands = [crop[round(height * top) : round(height * bottom)] for top, bottom in BANDS]
        batch = _model_input(bands)
        readings = [
            self._decode(row) for row in self.session.run(None, {self.input_name: batch})[0]
        ]
        return _vote([reading for reading in readings if reading is not None])

    def _decode(self, probabilities: np.ndarray) -> PlateText | None:
        # Greedy CTC over the plate alphabet only: best plate character per step, repeats
        # collapsed, blanks dropped.
        allowed = np.stack([probabilities[:, group].sum(axis=1) for group in self.classes], 1)
        best = allowed.argmax(axis=1)
        text, scores, previous = [], [], 0
        for step, index in enumerate(best):
            if index != 0 and index != previous:
                text.append(self.characters[index])
                scores.append(float(allowed[step, index]))
            previous = index
        plate = normalise_plate("".join(text))
        if len(plate) < MIN_TEXT_LENGTH:
            return None
        return PlateText(plate, round(float(np.mean(scores)), 4))


def _vote(readings: list[PlateText]) -> PlateText | None:
    """The reading most bands agree on (up to look-alikes), then the surest of those."""
    groups: dict[str, list[PlateText]] = {}
    for reading in readings:
        groups.setdefault(plate_key(reading.text), []).append(reading)
    if not groups:
        return None
    agreed = max(groups.values(), key=lambda group: (len(group), sum(r.score for r in group)))
    return max(agreed, key=lambda reading: reading.score)


def _model_input(images: list[np.ndarray]) -> np.ndarray:
    """One batch: each image scaled to the model's height, left-aligned, zero-padded right."""
    widths = [
        max(8, min(MAX_INPUT_WIDTH, round(INPUT_HEIGHT * image.shape[1] / image.shape[0])))
        for image in images
    ]
    batch = np.zeros((len(images), 3, INPUT_HEIGHT, max(MIN_INPUT_WIDTH, *widths)), np.float32)
    for row, (image, width) in enumerate(zip(images, widths, strict=True)):
        shrink = width < image.shape[1]
        resized = cv2.resize(
            image,
            (width, INPUT_HEIGHT),
            interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR,
        )
        # BGR as the model was trained on (PaddleOCR reads with cv2), scaled to -1..1.
        batch[row, :, :, :width] = resized.transpose(2, 0, 1) / 127.5 - 1.0
    return batch
