"""Signature stages in order; the first failure decides, each with its own reason code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.camera_models import CameraModel
from pipeline.media.probe import probe_clip
from pipeline.media.sniff import JPEG, UNKNOWN, sniff_file
from pipeline.settings.validation import ValidationSettings
from pipeline.signature.verdict import DELAYED_LANE, NORMAL_LANE, Verdict


def check_upload(
    camera: dict[str, Any] | None,
    model: CameraModel | None,
    clip: Path,
    rules: ValidationSettings,
) -> Verdict:
    if camera is None or not camera["enabled"]:
        return Verdict.reject("not_registered", "no enabled camera owns this upload account")
    size = clip.stat().st_size
    if size > rules.max_size_mb * 1024 * 1024:
        return Verdict.reject("over_hard_cap", f"{size} bytes exceeds {rules.max_size_mb} MB")
    container = sniff_file(clip)
    if container == UNKNOWN:
        return Verdict.reject("not_video", "bytes are not an MP4/MOV or AVI container")
    if container == JPEG:
        return Verdict.reject("not_video", "a JPEG snapshot, not a video clip")
    probe = probe_clip(clip)
    facts = probe.as_dict()
    facts["sniffed"] = container
    if not probe.ok:
        reason = "unsupported_stream" if probe.error == "no video stream" else "undecodable"
        return Verdict.reject(reason, probe.error or "", facts)
    if probe.codec not in ("h264", "hevc"):
        return Verdict.reject("unsupported_stream", f"video codec {probe.codec}", facts)
    if probe.duration_s > rules.max_duration_s:
        return Verdict.reject(
            "over_hard_cap", f"{probe.duration_s:.1f} s exceeds {rules.max_duration_s:.0f} s", facts
        )
    if model is not None and not (
        model.produces_size(probe.width, probe.height) and model.produces_fps(probe.fps)
    ):
        return Verdict.reject(
            "profile_mismatch",
            f"{probe.width}x{probe.height} at {probe.fps:.1f} fps is not produced by {model.name}",
            facts,
        )
    lane = (
        NORMAL_LANE
        if probe.duration_s <= rules.alarm_clip_s + rules.duration_tolerance_s
        else DELAYED_LANE
    )
    return Verdict.accept(facts, lane)
