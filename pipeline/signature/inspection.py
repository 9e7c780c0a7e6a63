"""Gather the facts about an uploaded file and run the signature stages over them.

The only part of the signature that reads the file: its size, its first bytes, the probe.
The probe runs only for uploads that passed the cheap stages, so a non-video or oversized
file never reaches the decoder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from core.camera_models import CameraModel
from core.fingerprint import LearnedFingerprint
from core.settings.validation import ValidationSettings
from pipeline.media.probe import ClipProbe, probe_clip
from pipeline.media.sniff import JPEG, sniff_file
from pipeline.media.still import StillProbe, probe_still
from pipeline.signature.stages import SignatureStages, facts_of
from pipeline.signature.verdict import UploadVerdict


def check_upload(
    camera: dict[str, Any] | None,
    model: CameraModel | None,
    clip: Path,
    rules: ValidationSettings,
    fingerprint: LearnedFingerprint | None = None,
    prober: Callable[[Path], ClipProbe] = probe_clip,
    still_prober: Callable[[Path], StillProbe] = probe_still,
) -> UploadVerdict:
    """``prober`` and ``still_prober`` may be a media worker's, to keep a hostile file's
    decoder out of the daemon's process. A JPEG snapshot gets the still checks; an accepted
    one has ``probe["sniffed"] == "jpeg"``."""
    stages = SignatureStages(rules)
    container = sniff_file(clip)
    verdict = stages.admit(camera, clip.stat().st_size, container)
    if verdict is not None:
        return verdict
    if container == JPEG:
        return stages.check_still(still_prober(clip), model)
    probe = prober(clip)
    verdict = stages.check_streams(probe, model, container)
    if verdict is not None:
        return verdict
    facts = facts_of(probe, container)
    verdict = stages.check_fingerprint(fingerprint, facts) or stages.accept(facts)
    return replace(verdict, packets=probe.packets)
