"""Detection: objects, licence plates, rain and false alarms, opt-in per camera.

The measured costs behind its choices are in docs/cameras.md, Detection.

Entry points for the pipeline: `pipeline.detection.service.detect_clip` (models load once per
process, see `shared_analyzer`) and, in the catalog,
`core.catalog.detections.store_detection_results`. This package's top level stays light
(no video or model imports) so that the catalog and the CLI can use its result types.
"""

from core.detection.boxes import ALL_LABELS, Box, Detector
from core.detection.results import ClipDetections, DetectionSwitches, LabelHit
from pipeline.detection.errors import BackendUnavailable, DetectionError, ModelUnavailable

__all__ = [
    "ALL_LABELS",
    "BackendUnavailable",
    "Box",
    "ClipDetections",
    "DetectionError",
    "DetectionSwitches",
    "Detector",
    "LabelHit",
    "ModelUnavailable",
]
