"""Fair use: constant alarms, false-alarm rate and the ok → warned → throttled ladder.

The rules are explained in docs/cameras.md, The 18-second rule and fair use.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from core.settings.base import StrictModel


class FairUseSettings(StrictModel):
    enabled: bool = Field(True, description="Evaluate fair use after each clip and on schedule.")
    window_h: float = Field(
        24.0,
        gt=0,
        description="Sliding window both rules look at; a camera returns to ok once the "
        "window holds no violation.",
    )
    constant_alarm_gap_s: float = Field(
        30.0,
        gt=0,
        description="G: clips whose gap to the previous clip is under this many seconds "
        "belong to one continuous alarm.",
    )
    constant_alarm_min: float = Field(
        60.0,
        gt=0,
        description="W: a continuous alarm longer than this many minutes is a constant alarm.",
    )
    false_alarm_share: float = Field(
        0.8,
        gt=0,
        le=1,
        description="A share of recordings labelled false_alarm above this, within the "
        "window, is a high false-alarm rate.",
    )
    false_alarm_min_recordings: int = Field(
        20, ge=1, description="The false-alarm rate is judged only on this many recordings or more."
    )
    grace_period_h: float = Field(
        48.0,
        ge=0,
        description="A warned camera is throttled only if the behaviour goes on this long "
        "after the warning.",
    )
    throttle_delay_min: float = Field(
        30.0, ge=0, description="How long clips of a throttled camera wait before processing."
    )
    evidence_limit: int = Field(
        50, ge=1, le=1000, description="Clip ids stored as evidence per rule and transition."
    )

    @model_validator(mode="after")
    def _run_fits_window(self) -> FairUseSettings:
        if self.constant_alarm_min * 60 > self.window_h * 3600:
            raise ValueError("constant_alarm_min must fit into window_h, or it can never be seen")
        return self
