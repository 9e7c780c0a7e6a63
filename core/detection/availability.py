"""Are the model files a camera's detection switches need there? Asked by the web UI and the CLI
when switches are turned on, and by the pipeline before it loads them."""

from __future__ import annotations

import os
from pathlib import Path

from core.detection.results import DetectionSwitches
from core.settings.detection import DetectionSettings


def unavailable_models(
    settings: DetectionSettings, data_dir: Path, switches: DetectionSwitches
) -> list[Path]:
    """Model files the switches need that are missing or unreadable.

    Checked when a camera's switches are turned on, so the owner hears about a missing model
    at once instead of getting recordings that silently have no detections.
    """
    needed = []
    if switches.needs_detector:
        needed.append(settings.model_path(settings.object_model, data_dir))
    if switches.plates:
        needed.append(settings.model_path(settings.plate_model, data_dir))
    return [path for path in needed if not (path.is_file() and os.access(path, os.R_OK))]
