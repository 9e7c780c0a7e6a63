"""Scheduled jobs of the pipeline daemon: retention, inactive accounts, upkeep."""

from __future__ import annotations

from pydantic import Field, model_validator

from core.settings.base import StrictModel


class ScheduleSettings(StrictModel):
    enabled: bool = Field(True, description="Run the scheduled jobs inside the pipeline daemon.")
    retention_days: int = Field(
        30,
        ge=0,
        description="Keep recordings this many days unless a camera sets its own; 0 keeps them "
        "until the account's quota is full.",
    )
    upload_records_days: int = Field(
        30,
        ge=1,
        description="Keep the records of refused uploads (reason, file name, size, shortened "
        "address) this many days. The record of a recording goes with the recording.",
    )
    inactive_warn_days: int = Field(
        365,
        ge=0,
        description="Warn an account by e-mail after this many days without a login or upload; "
        "0 never warns (and so never deletes).",
    )
    inactive_delete_days: int = Field(
        30,
        ge=1,
        description="Delete a warned account (every file and row) this many days after the "
        "warning unless it was used again.",
    )
    retention_interval_s: int = Field(
        3600, ge=60, description="How often retention by days and by quota runs."
    )
    accounts_interval_s: int = Field(
        86_400, ge=60, description="How often inactive accounts are warned and deleted."
    )
    quarantine_interval_s: int = Field(
        3600, ge=60, description="How often expired quarantined clips are removed."
    )
    delayed_interval_s: int = Field(
        300, ge=10, description="How often clips in the delayed lane are looked at for release."
    )
    fair_use_interval_s: int = Field(
        300, ge=10, description="How often the fair-use ladder is evaluated."
    )
    storage_stats_interval_s: int = Field(
        900, ge=60, description="How often disk and per-account storage use are measured."
    )
    upkeep_interval_s: int = Field(
        86_400, ge=60, description="How often the catalog is checkpointed and optimized."
    )
    partial_file_age_s: int = Field(
        3600,
        ge=600,
        le=7 * 86_400,
        description="The upkeep job removes partial media files (a copy a node died in the "
        "middle of) and aborts unfinished S3 multipart uploads once they are this old. A copy "
        "of a clip takes seconds; a copy in progress is never this old.",
    )

    @model_validator(mode="after")
    def _respite_needs_warning(self) -> ScheduleSettings:
        # A deletion period without a warning period would delete nobody, which looks like a
        # working setting; say so instead.
        if self.inactive_warn_days == 0 and "inactive_delete_days" in self.model_fields_set:
            raise ValueError("inactive_delete_days needs inactive_warn_days > 0")
        return self
