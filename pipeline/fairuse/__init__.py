"""Fair use: pure rules in `rules` and `advice`, catalog wiring in `monitor`.

The rules are explained in docs/cameras.md, The 18-second rule and fair use.
"""

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
