"""A camera's fingerprint: how its encoder writes clips, learned from its first accepted clips.

Pure values, no I/O. A `ClipFingerprint` is what one clip shows; a `LearnedFingerprint` holds
every value seen while learning (a camera that uploads main and sub stream has two sizes) and
says how a later clip differs from it. A difference is no proof of a fake, only of a change
(often a firmware update), so it quarantines the clip for its owner instead of deleting it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

# Attributes compared exactly: a camera's encoder does not vary them from clip to clip.
EXACT_ATTRIBUTES = ("codec", "profile", "level", "size", "major_brand", "brands", "audio_codec")
ATTRIBUTES = (*EXACT_ATTRIBUTES, "fps", "gop_frames")

# What one attribute of a `ClipFingerprint` holds (and what its JSON form stores).
FingerprintValue = str | int | float | None


@dataclass(frozen=True)
class ClipFingerprint:
    """The encoder settings one clip shows."""

    codec: str
    profile: str | None
    level: int | None
    size: str
    fps: float
    gop_frames: int | None
    major_brand: str | None
    brands: str
    audio_codec: str | None

    @classmethod
    def from_probe(cls, probe: dict[str, Any]) -> ClipFingerprint:
        """From a stored probe (`ClipProbe.as_dict()`, as kept in ``jobs.probe_json``)."""
        return cls(
            codec=probe.get("codec") or "",
            profile=probe.get("profile"),
            level=probe.get("level"),
            size=f"{probe.get('width', 0)}x{probe.get('height', 0)}",
            fps=round(float(probe.get("fps") or 0.0), 2),
            gop_frames=probe.get("gop_frames"),
            major_brand=probe.get("major_brand"),
            brands=" ".join(sorted(probe.get("compatible_brands") or [])),
            audio_codec=probe.get("audio_codec"),
        )


@dataclass(frozen=True)
class FingerprintTolerance:
    fps: float = 0.5
    gop_share: float = 0.1

    def fps_matches(self, seen: float, learned: float) -> bool:
        return abs(seen - learned) <= self.fps

    def gop_matches(self, seen: int, learned: int) -> bool:
        # At least one frame: encoders count the closing frame of a GOP differently.
        return abs(seen - learned) <= max(1.0, learned * self.gop_share)


@dataclass(frozen=True)
class LearnedFingerprint:
    """Every value seen per attribute, and how many clips it was learned from."""

    values: dict[str, frozenset[FingerprintValue]] = field(default_factory=dict)
    samples: int = 0

    def learn(self, clip: ClipFingerprint) -> LearnedFingerprint:
        values = {
            name: self.values.get(name, frozenset()) | {getattr(clip, name)} for name in ATTRIBUTES
        }
        return replace(self, values=values, samples=self.samples + 1)

    def is_complete(self, needed: int) -> bool:
        return self.samples >= needed

    def mismatches(
        self, clip: ClipFingerprint, tolerance: FingerprintTolerance | None = None
    ) -> list[str]:
        """What differs, one line per attribute (empty: the clip matches)."""
        tolerance = tolerance or FingerprintTolerance()
        found = []
        for name in EXACT_ATTRIBUTES:
            seen, learned = getattr(clip, name), self.values.get(name, frozenset())
            if seen not in learned:
                found.append(f"{name} {seen!r} not in learned {_show(learned)}")
        fps_seen = self.values.get("fps", frozenset())
        if not any(
            tolerance.fps_matches(clip.fps, fps)
            for fps in fps_seen
            if isinstance(fps, int | float)  # always, as learned; the JSON form is untyped
        ):
            found.append(f"fps {clip.fps} not within {tolerance.fps} of learned {_show(fps_seen)}")
        gops = {gop for gop in self.values.get("gop_frames", frozenset()) if isinstance(gop, int)}
        # A clip with a single keyframe (or a fingerprint learned from such clips) says nothing
        # about the GOP, so there is nothing to compare.
        if (
            clip.gop_frames is not None
            and gops
            and not any(tolerance.gop_matches(clip.gop_frames, gop) for gop in gops)
        ):
            found.append(f"gop_frames {clip.gop_frames} not near learned {_show(gops)}")
        return found

    def to_json(self) -> dict[str, list[FingerprintValue]]:
        return {name: sorted(values, key=_sort_key) for name, values in self.values.items()}

    @classmethod
    def from_json(cls, data: dict[str, list[FingerprintValue]], samples: int) -> LearnedFingerprint:
        return cls({name: frozenset(values) for name, values in data.items()}, samples)


def _sort_key(value: object) -> tuple[int, str]:
    return (value is None, str(value))


def _show(values: Iterable[FingerprintValue]) -> str:
    return "[" + ", ".join(repr(value) for value in sorted(values, key=_sort_key)) + "]"
