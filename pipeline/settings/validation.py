"""Which clips are accepted: the camera signature and the 18-second rule (DESIGN.md §3, §4)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from pipeline.settings.base import StrictModel


class ValidationSettings(StrictModel):
    alarm_clip_s: float = Field(18.0, gt=0, description="Standard alarm clip length in seconds.")
    duration_tolerance_s: float = Field(
        2.0, ge=0, description="Extra seconds still counted as a standard clip."
    )
    max_duration_s: float = Field(
        600.0, gt=0, description="Hard cap: longer clips are rejected (over_hard_cap)."
    )
    max_size_mb: int = Field(200, ge=1, description="Hard cap on a clip's size.")
    extra_camera_models: Path | None = Field(
        None,
        description="A TOML file of further camera models (same format as "
        "config/camera_models.toml); its entries add to or override the built-in table.",
    )
