"""Named detection errors, checked by type by the daemon, the CLI and the tests."""

from __future__ import annotations

from pathlib import Path


class DetectionError(Exception):
    """Base class of detection errors."""


class ModelUnavailable(DetectionError):
    """A configured model file is missing, unreadable or not a model this backend can run.

    Raised when the detector is built (at start), never later as a silent "nothing found".
    """

    def __init__(self, path: Path | str, why: str) -> None:
        super().__init__(f"detection model {path}: {why}")
        self.path = Path(path)
        self.why = why


class BackendUnavailable(DetectionError):
    """The configured backend's packages are not installed (e.g. the ultralytics extra)."""
