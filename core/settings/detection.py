"""Object, plate, rain and false-alarm detection, opt-in per camera (docs/cameras.md, Detection)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from core.settings.base import StrictModel


class DetectionSettings(StrictModel):
    backend: Literal["onnxruntime", "ultralytics"] = Field(
        "onnxruntime",
        description="Runtime for the models: onnxruntime (default, no torch) or ultralytics "
        "(the optional extra; loads .pt and .onnx).",
    )
    models_dir: Path | None = Field(
        None,
        description="Where scripts/get-models puts models; default <storage.data_dir>/models. "
        "Relative model paths below resolve against it.",
    )
    # Model names are strings, not paths: a bare name means "in models_dir", which the
    # settings loader's config-relative path resolution would otherwise get wrong.
    # 416x256 costs 25 ms a frame on one NAS core against 56 ms at 640x384 and still finds
    # every label that stays on screen for half a second (scripts/bench-detect); choose the
    # larger input for distant, small objects when the CPU allows.
    object_model: str = Field(
        "yolov8n_416x256.onnx",
        description="COCO object detector, a file in models_dir or an absolute path: a "
        "YOLOv8/YOLO11 export (class names from its "
        "metadata; a rectangular input such as 416x256 or 640x384 suits 16:9 frames) or "
        "NanoDet-m.",
    )
    object_model_kind: Literal["yolo", "nanodet"] = Field(
        "yolo", description="How to read the object model's outputs."
    )
    class_names_file: Path | None = Field(
        None,
        description="Class names, one a line, for models without names in their metadata "
        "(NanoDet); default coco.names beside the model.",
    )
    plate_model: str = Field(
        "platedet.onnx",
        description="Licence-plate detector, a file in models_dir or an absolute path "
        "(YOLOv8-seg with one class, from the platedet package); runs on vehicle crops.",
    )
    intra_op_threads: int = Field(
        1, ge=1, le=16, description="Threads per model run (ONNX Runtime intra-op / torch)."
    )
    decoder_threads: int = Field(
        1, ge=0, le=16, description="Video decoder threads (0 = FFmpeg's choice)."
    )
    score_threshold: float = Field(
        0.4, gt=0, lt=1, description="Object boxes below this score are dropped (before NMS)."
    )
    iou_threshold: float = Field(
        0.5, gt=0, lt=1, description="Boxes of one class overlapping more than this are merged."
    )
    plate_score_threshold: float = Field(
        0.4, gt=0, lt=1, description="Plate boxes below this score are dropped."
    )
    plate_text_threshold: float = Field(
        0.5,
        ge=0,
        lt=1,
        description="Plate readings whose characters are on average less sure than this are "
        "not kept (the crop still is).",
    )
    plate_reader_model: Path | None = Field(
        None,
        description="Text-recognition model for plates (PP-OCRv4 recognition, ONNX, with its "
        "character list in the metadata); default: the one inside the rapidocr-onnxruntime "
        "package, so nothing is downloaded.",
    )
    max_plate_runs: int = Field(
        2,
        ge=0,
        le=20,
        description="The plate model runs on at most this many vehicle crops per clip "
        "(the largest, best-scored ones); it costs ~0.2-0.4 core-s a run.",
    )
    min_vehicle_width: float = Field(
        0.12,
        gt=0,
        le=1,
        description="Vehicles narrower than this share of the frame width are too small for "
        "a readable plate and are not searched.",
    )
    max_extra_frames: int = Field(
        6,
        ge=0,
        le=60,
        description="Frames between keyframes analysed per clip where the motion gate sees "
        "a burst (catches visitors shorter than a keyframe interval).",
    )
    motion_burst_ratio: float = Field(
        2.0,
        gt=1,
        description="A stretch of frames is a motion burst when its compressed size exceeds "
        "the clip's median by this factor.",
    )
    pixel_change_threshold: float = Field(
        0.003,
        ge=0,
        lt=1,
        description="An extra frame is analysed only if this share of its pixels changed "
        "since the previous analysed frame.",
    )
    min_persist_frames: int = Field(
        2,
        ge=1,
        le=20,
        description="An object must be seen in at least this many analysed frames, or the "
        "clip counts as a false alarm.",
    )
    rain_threshold: float = Field(
        0.5, ge=0, le=1, description="Rain score (0-1, from frame statistics) that means rain."
    )
    lighting_change: float = Field(
        18.0,
        gt=0,
        le=255,
        description="A jump of the mean brightness (0-255) between analysed frames this big "
        "is a lighting change.",
    )
    thumbnail_width: int = Field(
        640, ge=160, le=1920, description="Width of the best-frame thumbnail with boxes."
    )
    preview_width: int = Field(
        320,
        ge=0,
        le=640,
        description="Width of the clip's animated preview, made from the frames the analysis "
        "decodes anyway (0: no preview).",
    )
    preview_max_kb: int = Field(
        300,
        ge=20,
        le=2000,
        description="Largest animated preview kept (kB); fewer frames or "
        "a lower quality are tried first.",
    )
    ultralytics_imgsz: int = Field(
        640, ge=64, le=1920, description="Input size for .pt models on the ultralytics backend."
    )

    @model_validator(mode="after")
    def _nanodet_runs_on_onnxruntime(self) -> DetectionSettings:
        if self.object_model_kind == "nanodet" and self.backend != "onnxruntime":
            raise ValueError("object_model_kind 'nanodet' needs backend 'onnxruntime'")
        return self

    def model_path(self, name: str, data_dir: Path) -> Path:
        """``name`` as an absolute path: relative ones live in the models folder."""
        path = Path(name).expanduser()
        if path.is_absolute():
            return path
        return (self.models_dir or Path(data_dir) / "models") / path
