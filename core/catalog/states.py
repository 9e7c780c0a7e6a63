"""The fixed sets of states the catalog stores, one ``StrEnum`` per set.

The values are what the database holds (and what the CHECK constraints of the migrations
spell), so they never change: an enum member is its string, in Python and as an SQL parameter.
"""

from __future__ import annotations

from enum import StrEnum


class JobState(StrEnum):
    """Where one upload's job stands (``jobs.state``)."""

    RECEIVED = "received"
    VALIDATED = "validated"
    # Visible (recording with poster) and done: its camera has detection switched off.
    INDEXED = "indexed"
    REJECTED = "rejected"
    QUARANTINED = "quarantined"
    DELAYED = "delayed"
    # Our own error, three times: the upload stays in the spool for an admin to look at.
    FAILED = "failed"
    # Visible, waiting for detection to fill in labels, boxes, plates and the verdict.
    ANALYSING = "analysing"
    # Visible and analysed (or given up on analysis: then ``reason`` says why).
    ANALYSED = "analysed"


class FairUseState(StrEnum):
    """A camera's step on the fair-use ladder (``cameras.fairuse_state``)."""

    OK = "ok"
    WARNED = "warned"
    THROTTLED = "throttled"
    SUSPENDED = "suspended"


class AccountState(StrEnum):
    """Whether an owner lets the service work for them (``users.state``)."""

    ACTIVE = "active"
    PAUSED = "paused"


class RecordingKind(StrEnum):
    """What a recording is (``recordings.kind``)."""

    # An alarm clip, with the stills of the same alarm if the camera sent any.
    CLIP = "clip"
    # Only stills: the camera sent snapshots and no clip of that alarm arrived in the window.
    SNAPSHOT = "snapshot"
