"""The pipeline daemon: how jobs are found and processed."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field, field_validator

from core.settings.base import StrictModel

MAX_WORKERS = 16


class PipelineSettings(StrictModel):
    poll_interval_s: float = Field(
        5.0,
        gt=0,
        description="Rescan the spool this often as a fallback for filesystems without events.",
    )
    node_name: str = Field(
        default_factory=lambda: os.uname().nodename,
        min_length=1,
        description="This node's name in the job claims of the shared catalog (default: the "
        "host name). Two pipeline daemons on one host against one catalog need different names.",
    )
    lease_s: float = Field(
        600.0,
        ge=1,
        le=86_400,
        description="How long a worker's claim on a clip holds without a word from it: renewed "
        "every third of it while the worker lives, so a node that dies or stops answering "
        "loses its clips to another node this long after.",
    )
    workers: int | Literal["auto"] = Field(
        "auto",
        description='Clips processed in parallel, each in its own media worker process; "auto": '
        "one per CPU core.",
    )
    worker_max_tasks: int = Field(
        2000,
        ge=1,
        description="A media worker process is replaced by a fresh one after this many tasks "
        "(probe, poster, analysis: 2-4 per clip), as decoders and models may leak.",
    )
    worker_max_rss_mb: int = Field(
        700,
        ge=100,
        description="A media worker process whose memory (RSS) grew past this is replaced "
        "after its current clip.",
    )
    analysis_timeout_s: float = Field(
        120.0,
        gt=0,
        description="A media worker that analyses one clip longer than this is killed; the "
        "clip is tried again, then kept visible without labels.",
    )
    analysis_nice: int = Field(
        10,
        ge=0,
        le=19,
        description="CPU priority of the analysis processes, below the rest (nice value): "
        "analysis uses every idle core, fresh uploads still become visible at once.",
    )
    analysis_backlog_warn_s: float = Field(
        300.0,
        gt=0,
        description="Log one warning when the oldest clip waiting for analysis waited longer.",
    )
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

    @field_validator("workers")
    @classmethod
    def _workers_in_range(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 1 <= value <= MAX_WORKERS:
            raise ValueError(f'workers must be "auto" or 1..{MAX_WORKERS}, got {value}')
        return value

    @property
    def worker_count(self) -> int:
        """The number of clip workers: ``workers``, or the usable CPU cores for "auto"."""
        if self.workers == "auto":
            return max(1, min(len(os.sched_getaffinity(0)), MAX_WORKERS))
        return self.workers
