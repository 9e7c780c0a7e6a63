"""Which clips are accepted: the camera signature and the 18-second rule (docs/cameras.md)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from core.settings.base import StrictModel


class ValidationSettings(StrictModel):
    alarm_clip_s: float = Field(18.0, gt=0, description="Standard alarm clip length in seconds.")
    duration_tolerance_s: float = Field(
        2.0, ge=0, description="Extra seconds still counted as a standard clip."
    )
    max_duration_s: float = Field(
        600.0, gt=0, description="Hard cap: longer clips are rejected (over_hard_cap)."
    )
    max_size_mb: int = Field(200, ge=1, description="Hard cap on a clip's size.")
    probe_timeout_s: float = Field(
        60.0,
        gt=0,
        description="A clip whose probe takes longer is rejected (undecodable); the probe runs "
        "in a child process that is restarted.",
    )
    extra_camera_models: Path | None = Field(
        None,
        description="A TOML file of further camera models (same format as "
        "config/camera_models.toml); its entries add to or override the built-in table.",
    )
    delayed_lane_delay_min: float = Field(
        60.0,
        ge=0,
        description="Clips longer than the standard alarm are stored at once but processed "
        "(detection, indexing) only this many minutes later (the delayed lane).",
    )
    fingerprint_clips: int = Field(
        3,
        ge=1,
        le=100,
        description="A camera's fingerprint (profile, level, sizes, fps, GOP, brands, audio) "
        "is learned from this many first accepted clips, then enforced.",
    )
    fingerprint_fps_tolerance: float = Field(
        0.5, ge=0, description="Frames per second a clip may differ from a learned rate."
    )
    fingerprint_gop_tolerance: float = Field(
        0.1,
        ge=0,
        le=1,
        description="Share a clip's keyframe interval may differ from a learned one "
        "(at least one frame is always tolerated).",
    )
    quarantine_expiry_h: float = Field(
        168.0,
        gt=0,
        description="Hours a clip that failed only the fingerprint waits for its owner to "
        "accept or discard it; then it is discarded.",
    )
    snapshot_window_s: float = Field(
        30.0,
        ge=0,
        le=600,
        description="A JPEG snapshot belongs to the alarm clip of the same camera whose time "
        "span, widened by this many seconds on each side, holds the snapshot's time (from its "
        "file name, else its arrival); without such a clip it is an event of its own, which "
        "the clip gathers if it arrives later.",
    )

    @property
    def standard_max_s(self) -> float:
        """The longest clip that still goes through the normal lane."""
        return self.alarm_clip_s + self.duration_tolerance_s

    @model_validator(mode="after")
    def _hard_cap_above_standard(self) -> ValidationSettings:
        if self.max_duration_s <= self.standard_max_s:
            raise ValueError(
                "max_duration_s must be longer than alarm_clip_s + duration_tolerance_s, "
                "or every long clip would be rejected instead of delayed"
            )
        return self
