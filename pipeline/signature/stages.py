"""Signature stages in order; the first failure decides, each with its own code.

The stages in words: docs/cameras.md, Camera signature.

Pure: every stage looks at facts already gathered (size, sniffed container, `ClipProbe`,
learned fingerprint) and never at the file, so each is tested with tiny cases. Gathering the
facts is `pipeline.signature.inspection`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.camera_models import CameraModel
from core.catalog.rejections import SNAPSHOTS_OFF
from core.fingerprint import (
    ClipFingerprint,
    FingerprintTolerance,
    LearnedFingerprint,
)
from core.settings.validation import ValidationSettings
from pipeline.media.probe import NO_VIDEO_STREAM, ClipProbe
from pipeline.media.sniff import AVI, JPEG, MP4
from pipeline.media.still import StillProbe
from pipeline.signature.verdict import DELAYED_LANE, NORMAL_LANE, UploadVerdict

NOT_REGISTERED = "not_registered"
NOT_VIDEO = "not_video"
UNDECODABLE = "undecodable"
TRUNCATED = "truncated"
UNSUPPORTED_STREAM = "unsupported_stream"
PROFILE_MISMATCH = "profile_mismatch"
FINGERPRINT_MISMATCH = "fingerprint_mismatch"
OVER_HARD_CAP = "over_hard_cap"
# Zero bytes: cameras send one when their upload test runs.
EMPTY = "empty"
# The same camera sent the same file (name and bytes) again: a retry, indexed once.
DUPLICATE = "duplicate"
REASONS = (
    NOT_REGISTERED,
    NOT_VIDEO,
    UNDECODABLE,
    TRUNCATED,
    UNSUPPORTED_STREAM,
    PROFILE_MISMATCH,
    FINGERPRINT_MISMATCH,
    OVER_HARD_CAP,
    EMPTY,
    DUPLICATE,
    SNAPSHOTS_OFF,
)

VIDEO_CODECS = frozenset({"h264", "hevc"})
VIDEO_CONTAINERS = frozenset({MP4, AVI})


@dataclass(frozen=True)
class SignatureStages:
    """The signature rules over gathered facts; ``None`` from a stage means "passed"."""

    rules: ValidationSettings

    def admit(
        self, camera: dict[str, Any] | None, size_bytes: int, container: str
    ) -> UploadVerdict | None:
        """Stages that need no probe: the account (1), the size cap, the container bytes (2)."""
        if camera is None or not camera.get("enabled"):
            return UploadVerdict.reject(
                NOT_REGISTERED, "no enabled camera owns this upload account"
            )
        if size_bytes == 0:
            return UploadVerdict.reject(EMPTY, "the upload has no bytes")
        cap = self.rules.max_size_mb * 1024 * 1024
        if size_bytes > cap:
            return UploadVerdict.reject(
                OVER_HARD_CAP, f"{size_bytes} bytes exceeds {self.rules.max_size_mb} MB"
            )
        if container == JPEG:
            if not camera.get("keep_snapshots", 1):
                return UploadVerdict.reject(
                    SNAPSHOTS_OFF, "a JPEG snapshot; the owner switched snapshots off"
                )
            return None
        if container not in VIDEO_CONTAINERS:
            return UploadVerdict.reject(NOT_VIDEO, "bytes are not an MP4/MOV or AVI container")
        return None

    def check_streams(
        self, probe: ClipProbe, model: CameraModel | None, container: str
    ) -> UploadVerdict | None:
        """Whole (3), decodes (3), one H.264/H.265 stream (3), the duration cap, the model's
        profile (4)."""
        facts = facts_of(probe, container)
        # First: a cut-off upload often does not parse either, and "cut off" is what to tell.
        if not probe.whole:
            return UploadVerdict.reject(TRUNCATED, probe.truncation or "cut off", facts)
        if probe.error == NO_VIDEO_STREAM:
            return UploadVerdict.reject(UNSUPPORTED_STREAM, "no video stream (audio only?)", facts)
        if not probe.ok:
            return UploadVerdict.reject(UNDECODABLE, probe.error or "does not decode", facts)
        if probe.video_streams != 1:
            return UploadVerdict.reject(
                UNSUPPORTED_STREAM, f"{probe.video_streams} video streams, expected one", facts
            )
        if probe.codec not in VIDEO_CODECS:
            return UploadVerdict.reject(UNSUPPORTED_STREAM, f"video codec {probe.codec}", facts)
        if probe.duration_s > self.rules.max_duration_s:
            return UploadVerdict.reject(
                OVER_HARD_CAP,
                f"{probe.duration_s:.1f} s exceeds {self.rules.max_duration_s:.0f} s",
                facts,
            )
        if model is None:
            return UploadVerdict.reject(
                PROFILE_MISMATCH, "the camera's model is not in the model table", facts
            )
        problems = model_mismatches(model, probe, container)
        if problems:
            return UploadVerdict.reject(PROFILE_MISMATCH, "; ".join(problems), facts)
        return None

    def check_still(self, probe: StillProbe, model: CameraModel | None) -> UploadVerdict:
        """A JPEG snapshot: whole (3), decodes (3), a size the camera's model snaps (4). Stills
        have no learned fingerprint and no lanes."""
        facts = {**probe.as_dict(), "sniffed": JPEG}
        if probe.truncation is not None:
            detail = f"JPEG snapshot cut off: {probe.truncation}"
            return UploadVerdict.reject(TRUNCATED, detail, facts)
        if probe.error is not None:
            return UploadVerdict.reject(UNDECODABLE, f"JPEG snapshot: {probe.error}", facts)
        if model is None:
            return UploadVerdict.reject(
                PROFILE_MISMATCH, "the camera's model is not in the model table", facts
            )
        if not model.produces_snapshot_size(probe.width, probe.height):
            size = f"{probe.width}x{probe.height}"
            detail = f"JPEG snapshot {size} is not a snapshot size of {model.name}"
            return UploadVerdict.reject(PROFILE_MISMATCH, detail, facts)
        return UploadVerdict.accept(facts)

    def check_fingerprint(
        self, learned: LearnedFingerprint | None, facts: dict[str, Any]
    ) -> UploadVerdict | None:
        """Stage 5, enforced once the fingerprint was learned from enough clips."""
        if learned is None or not learned.is_complete(self.rules.fingerprint_clips):
            return None
        tolerance = FingerprintTolerance(
            fps=self.rules.fingerprint_fps_tolerance,
            gop_share=self.rules.fingerprint_gop_tolerance,
        )
        problems = learned.mismatches(ClipFingerprint.from_probe(facts), tolerance)
        if problems:
            return UploadVerdict.quarantine(FINGERPRINT_MISMATCH, "; ".join(problems), facts)
        return None

    def accept(self, facts: dict[str, Any]) -> UploadVerdict:
        lane = ClipLengthRule.from_settings(self.rules).lane(facts["duration_s"])
        return UploadVerdict.accept(facts, lane)


@dataclass(frozen=True)
class ClipLengthRule:
    """The 18 s rule: a standard alarm clip, plus tolerance, goes through the normal lane.

    Why 18 s: docs/cameras.md, Alarm clips.
    """

    alarm_clip_s: float
    tolerance_s: float

    @classmethod
    def from_settings(cls, rules: ValidationSettings) -> ClipLengthRule:
        return cls(rules.alarm_clip_s, rules.duration_tolerance_s)

    def is_standard(self, duration_s: float) -> bool:
        return duration_s <= self.alarm_clip_s + self.tolerance_s

    def lane(self, duration_s: float) -> str:
        return NORMAL_LANE if self.is_standard(duration_s) else DELAYED_LANE


def model_mismatches(model: CameraModel, probe: ClipProbe, container: str) -> list[str]:
    """How a clip differs from what its camera model produces (empty: it fits)."""
    problems = []
    if not model.produces_size(probe.width, probe.height):
        problems.append(f"{probe.width}x{probe.height} is not a frame size of {model.name}")
    if not model.produces_fps(probe.fps):
        problems.append(f"{probe.fps:.2f} fps is outside {model.name}'s range")
    if probe.codec not in model.codecs:
        problems.append(f"{model.name} does not write {probe.codec}")
    if container not in model.containers:
        problems.append(f"{model.name} does not write {container.upper()} files")
    return problems


def facts_of(probe: ClipProbe, container: str) -> dict[str, Any]:
    """The probe as stored with the job (``jobs.probe_json``), with the sniffed container."""
    facts = probe.as_dict()
    facts["sniffed"] = container
    return facts
