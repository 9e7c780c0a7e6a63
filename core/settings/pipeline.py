"""The pipeline daemon: how jobs are found and processed."""

from __future__ import annotations

from pydantic import Field

from core.settings.base import StrictModel


class PipelineSettings(StrictModel):
    poll_interval_s: float = Field(
        5.0,
        gt=0,
        description="Rescan the spool this often as a fallback for filesystems without events.",
    )
    workers: int = Field(1, ge=1, le=16, description="Clips processed in parallel.")
    timestamp_patterns: list[str] = Field(
        default_factory=lambda: [
            r"(?P<Y>\d{4})(?P<m>\d{2})(?P<d>\d{2})[_-]?(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})",
            r"(?P<Y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})[_ T-]"
            r"(?P<H>\d{2})[-_:](?P<M>\d{2})[-_:](?P<S>\d{2})",
        ],
        description="Regexes tried on an upload's file name to find when the alarm started; "
        "named groups Y m d H M S. No match: the upload-completion time is used.",
    )
    camera_timezone: str = Field(
        "UTC",
        description="Time zone of timestamps in camera file names (IANA name), for cameras "
        "whose owner has not confirmed one on the camera page.",
    )
