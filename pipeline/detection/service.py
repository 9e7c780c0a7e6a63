"""How the pipeline daemon and the CLI get a `ClipAnalyzer`: built once per settings, cached.

The daemon is long-lived, so models load once (a fresh process per clip would add ~0.4 core-s
of imports and model loading to every clip).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from core.clipstore import ClipStore
from core.detection.boxes import COCO_TO_LABEL, PLATE, Detector
from core.detection.results import ClipDetections, DetectionSwitches
from core.settings import Settings
from core.settings.detection import DetectionSettings
from pipeline.detection.analyzer import ClipAnalyzer
from pipeline.detection.plate_reader import PlateReader

logger = logging.getLogger(__name__)

_cache: dict[str, ClipAnalyzer] = {}
_cache_lock = threading.Lock()


def build_object_detector(settings: DetectionSettings, data_dir: Path) -> Detector:
    path = settings.model_path(settings.object_model, data_dir)
    common = {"score_threshold": settings.score_threshold, "iou_threshold": settings.iou_threshold}
    if settings.backend == "ultralytics":
        from pipeline.detection.ultralytics_detector import UltralyticsDetector

        size = (settings.ultralytics_imgsz, settings.ultralytics_imgsz)
        return UltralyticsDetector(
            path, COCO_TO_LABEL, input_size=size, threads=settings.intra_op_threads, **common
        )
    names_file = settings.class_names_file or path.with_name("coco.names")
    if settings.object_model_kind == "nanodet":
        from pipeline.detection.nanodet_onnx import NanoDetOnnxDetector

        return NanoDetOnnxDetector(
            path, COCO_TO_LABEL, names_file, intra_op_threads=settings.intra_op_threads, **common
        )
    from pipeline.detection.yolo_onnx import YoloOnnxDetector

    return YoloOnnxDetector(
        path,
        COCO_TO_LABEL,
        intra_op_threads=settings.intra_op_threads,
        class_names_file=names_file if names_file.is_file() else None,
        **common,
    )


def build_plate_detector(settings: DetectionSettings, data_dir: Path) -> Detector:
    from pipeline.detection.yolo_onnx import YoloOnnxDetector

    # Always ONNX Runtime: platedet ships as ONNX, and it needs no torch.
    return YoloOnnxDetector(
        settings.model_path(settings.plate_model, data_dir),
        {"plate": PLATE},
        score_threshold=settings.plate_score_threshold,
        iou_threshold=settings.iou_threshold,
        intra_op_threads=settings.intra_op_threads,
    )


def build_plate_reader(settings: DetectionSettings) -> PlateReader:
    return PlateReader(settings.plate_reader_model, intra_op_threads=settings.intra_op_threads)


def build_analyzer(
    settings: DetectionSettings, data_dir: Path, *, plates: bool = False
) -> ClipAnalyzer:
    """Load the object model now (a missing one is an error naming its path); the plate model
    too if ``plates``, else on the first clip that asks for plates."""
    analyzer = ClipAnalyzer(
        settings,
        build_object_detector(settings, data_dir),
        plate_loader=lambda: build_plate_detector(settings, data_dir),
        reader_loader=lambda: build_plate_reader(settings),
    )
    if plates:
        analyzer.load_plate_detector()
    return analyzer


def shared_analyzer(
    settings: DetectionSettings, data_dir: Path, *, plates: bool = False
) -> ClipAnalyzer:
    """The process's analyzer for these settings, built on first use."""
    key = settings.model_dump_json() + "|" + str(Path(data_dir).resolve())
    with _cache_lock:
        analyzer = _cache.get(key)
        if analyzer is None:
            analyzer = build_analyzer(settings, data_dir)
            _cache.clear()  # settings changed (reload): drop the old models
            _cache[key] = analyzer
            detector = analyzer.object_detector
            logger.info("detection models loaded: %s", detector.name if detector else "-")
        if plates:
            analyzer.load_plate_detector()
        return analyzer


def switches_of(camera: dict[str, Any]) -> DetectionSwitches:
    """A camera row's switches (columns ``detect_<name>``)."""
    return DetectionSwitches(
        **{name: bool(camera.get(f"detect_{name}")) for name in DetectionSwitches.NAMES}
    )


def detect_clip(
    settings: DetectionSettings,
    data_dir: Path,
    clip: Path,
    switches: DetectionSwitches,
    output_dir: Path,
    stem: str,
) -> ClipDetections | None:
    """Analyse ``clip`` for what its camera switched on; None (and no model load) when nothing."""
    if not switches.any:
        return None
    return shared_analyzer(settings, data_dir).analyze(clip, switches, output_dir, stem)


def remove_detection_files(output_dir: Path, stem: str) -> None:
    """Files of an earlier run (a re-run may find fewer plates than the last one)."""
    for pattern in (f"{stem}.detect.jpg", f"{stem}.plate*.jpg", f"{stem}.preview.webp"):
        for path in Path(output_dir).glob(pattern):
            path.unlink(missing_ok=True)


def detect_stored_recording(
    settings: Settings, relpath: str, switches: DetectionSwitches
) -> ClipDetections | None:
    """Analyse a clip already in the recordings tree; files go beside its poster thumbnail.

    Store the result with ``store_detection_results(db, recording_id, result,
    files_root=ClipStore(settings.storage).thumbs_root)``.
    """
    if not switches.any:
        return None
    clips = ClipStore(settings.storage)
    output_dir = clips.thumb_file(relpath).parent
    stem = Path(relpath).stem
    remove_detection_files(output_dir, stem)
    return detect_clip(
        settings.detection,
        settings.storage.data_dir,
        clips.local_recording(relpath),
        switches,
        output_dir,
        stem,
    )
