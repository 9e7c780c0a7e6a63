"""What validation decided about one upload."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline.media.probe import PacketTable

ACCEPT = "accept"
REJECT = "reject"
QUARANTINE = "quarantine"

NORMAL_LANE = "normal"
DELAYED_LANE = "delayed"


@dataclass(frozen=True)
class UploadVerdict:
    """Accept, reject or quarantine one upload, with the reason and the facts probed."""

    outcome: str
    reason: str | None = None
    detail: str | None = None
    lane: str = NORMAL_LANE
    probe: dict[str, Any] = field(default_factory=dict)
    # The probe's demuxed video packets, for later stages that plan from them (detection's
    # sampling) without demuxing again; not stored with the job.
    packets: PacketTable | None = field(default=None, repr=False, compare=False)

    @classmethod
    def accept(cls, probe: dict[str, Any], lane: str = NORMAL_LANE) -> UploadVerdict:
        return cls(ACCEPT, probe=probe, lane=lane)

    @classmethod
    def reject(cls, reason: str, detail: str, probe: dict[str, Any] | None = None) -> UploadVerdict:
        return cls(REJECT, reason=reason, detail=detail, probe=probe or {})

    @classmethod
    def quarantine(cls, reason: str, detail: str, probe: dict[str, Any]) -> UploadVerdict:
        return cls(QUARANTINE, reason=reason, detail=detail, probe=probe)

    @property
    def accepted(self) -> bool:
        return self.outcome == ACCEPT

    @property
    def quarantined(self) -> bool:
        return self.outcome == QUARANTINE
