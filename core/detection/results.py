"""What analysing one clip produces; the catalog stores it (`store_detection_results`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from core.detection.boxes import Box


@dataclass(frozen=True)
class DetectionSwitches:
    """A camera's opt-in switches; nothing is analysed when all are off."""

    objects: bool = False
    plates: bool = False
    rain: bool = False
    false_alarm: bool = False

    NAMES = ("objects", "plates", "rain", "false_alarm")

    @property
    def any(self) -> bool:
        return self.objects or self.plates or self.rain or self.false_alarm

    @property
    def needs_detector(self) -> bool:
        return self.objects or self.plates or self.false_alarm

    @classmethod
    def from_names(cls, names: list[str] | set[str]) -> DetectionSwitches:
        unknown = set(names) - set(cls.NAMES)
        if unknown:
            raise ValueError(f"unknown detection switch(es): {', '.join(sorted(unknown))}")
        return cls(**{name: name in names for name in cls.NAMES})

    def names(self) -> list[str]:
        return [name for name in self.NAMES if getattr(self, name)]


@dataclass
class LabelHit:
    label: str
    best_score: float
    first_s: float
    last_s: float
    frames: int = 1


@dataclass
class FrameBoxes:
    """The boxes of one analysed frame, in the clip's pixels; ``t_s`` from the frame's pts."""

    t_s: float
    boxes: list[Box]
    keyframe: bool = True


@dataclass
class PlateCrop:
    t_s: float
    score: float
    xyxy: tuple[float, float, float, float]  # in the clip's pixels
    path: Path
    text: str | None = None  # normalised (`core.detection.plate_text`); None: not readable
    text_score: float | None = None
    track: int = 0  # crops of one vehicle share a track number


@dataclass
class PlateRead:
    """The best reading of one vehicle's plate over the clip."""

    track: int
    text: str
    score: float
    t_s: float
    crop_index: int  # into `ClipDetections.plates`


@dataclass
class ClipDetections:
    switches: DetectionSwitches
    duration_s: float
    model: str = ""
    labels: list[LabelHit] = field(default_factory=list)
    frames: list[FrameBoxes] = field(default_factory=list)
    plates: list[PlateCrop] = field(default_factory=list)
    plate_reads: list[PlateRead] = field(default_factory=list)
    best_frame_path: Path | None = None
    preview_path: Path | None = None  # animated WebP of the analysed frames
    rain_score: float | None = None
    false_alarm_cause: str | None = None  # rain, lighting, close_to_lens, foliage_or_unknown
    keyframes_analysed: int = 0
    extra_frames_analysed: int = 0
    detector_runs: int = 0
    elapsed_ms: int = 0

    def label_names(self) -> list[str]:
        return [hit.label for hit in self.labels]

    def label(self, name: str) -> LabelHit | None:
        return next((hit for hit in self.labels if hit.label == name), None)
