"""Fair use (DESIGN.md §4): pure rules in `rules` and `advice`, catalog wiring in `monitor`."""

from pipeline.fairuse.monitor import (
    CameraStateChanged,
    FairUseMonitor,
    Transition,
    evaluate_fair_use,
    resume_camera,
    suspend_camera,
)

__all__ = [
    "CameraStateChanged",
    "FairUseMonitor",
    "Transition",
    "evaluate_fair_use",
    "resume_camera",
    "suspend_camera",
]
