"""ClipFingerprint / LearnedFingerprint: learning from first clips and each mismatch edge."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.fingerprint import (
    ClipFingerprint,
    FingerprintTolerance,
    LearnedFingerprint,
)
from pipeline.media.probe import gop_from_keyframes, split_brands

CLIP = ClipFingerprint(
    codec="h264",
    profile="High",
    level=31,
    size="1280x720",
    fps=15.0,
    gop_frames=30,
    major_brand="isom",
    brands="isom mp41",
    audio_codec=None,
)


def learned(*clips: ClipFingerprint) -> LearnedFingerprint:
    result = LearnedFingerprint()
    for clip in clips:
        result = result.learn(clip)
    return result


def test_from_probe_takes_the_stored_probe_fields():
    probe = {
        "codec": "h264",
        "profile": "Main",
        "level": 40,
        "width": 1920,
        "height": 1080,
        "fps": 25.004,
        "gop_frames": 50,
        "major_brand": "isom",
        "compatible_brands": ["mp41", "isom"],
        "audio_codec": "aac",
    }
    clip = ClipFingerprint.from_probe(probe)
    assert clip == ClipFingerprint(
        "h264", "Main", 40, "1920x1080", 25.0, 50, "isom", "isom mp41", "aac"
    )


def test_learning_counts_clips_and_completes_at_n():
    fingerprint = learned(CLIP, CLIP)
    assert fingerprint.samples == 2
    assert fingerprint.is_complete(2)
    assert not fingerprint.is_complete(3)


def test_values_seen_while_learning_all_match_later():
    sub_stream = replace(CLIP, size="640x360", level=30)
    fingerprint = learned(CLIP, sub_stream)
    assert fingerprint.mismatches(CLIP) == []
    assert fingerprint.mismatches(sub_stream) == []


@pytest.mark.parametrize(
    ("change", "attribute"),
    [
        ({"codec": "hevc"}, "codec"),
        ({"profile": "Baseline"}, "profile"),
        ({"level": 40}, "level"),
        ({"size": "1920x1080"}, "size"),
        ({"major_brand": "mp42"}, "major_brand"),
        ({"brands": "isom iso2 avc1 mp41"}, "brands"),
        ({"audio_codec": "aac"}, "audio_codec"),
    ],
)
def test_each_exact_attribute_change_is_a_mismatch(change, attribute):
    problems = learned(CLIP).mismatches(replace(CLIP, **change))
    assert len(problems) == 1
    assert problems[0].startswith(attribute)


def test_fps_within_tolerance_matches_and_beyond_does_not():
    fingerprint = learned(CLIP)
    tolerance = FingerprintTolerance(fps=0.5)
    assert fingerprint.mismatches(replace(CLIP, fps=15.5), tolerance) == []
    assert fingerprint.mismatches(replace(CLIP, fps=15.51), tolerance)[0].startswith("fps")


def test_gop_tolerates_a_share_and_at_least_one_frame():
    fingerprint = learned(CLIP)  # 30 frames
    tolerance = FingerprintTolerance(gop_share=0.1)
    assert fingerprint.mismatches(replace(CLIP, gop_frames=33), tolerance) == []
    assert fingerprint.mismatches(replace(CLIP, gop_frames=34), tolerance)[0].startswith("gop")
    small = learned(replace(CLIP, gop_frames=5))
    assert small.mismatches(replace(CLIP, gop_frames=6), tolerance) == []
    assert small.mismatches(replace(CLIP, gop_frames=7), tolerance)


def test_unknown_gop_on_either_side_is_not_compared():
    assert learned(CLIP).mismatches(replace(CLIP, gop_frames=None)) == []
    assert learned(replace(CLIP, gop_frames=None)).mismatches(replace(CLIP, gop_frames=90)) == []


def test_json_round_trip_keeps_values_and_samples():
    fingerprint = learned(CLIP, replace(CLIP, audio_codec="aac"))
    again = LearnedFingerprint.from_json(fingerprint.to_json(), fingerprint.samples)
    assert again == fingerprint


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([True] + [False] * 29 + [True] + [False] * 29 + [True], (30, 3)),
        ([True, False, True, False, False, False, True, False], (4, 3)),  # a scene cut
        ([True] + [False] * 100, (None, 1)),
        ([], (None, 0)),
    ],
)
def test_gop_is_the_largest_keyframe_distance(flags, expected):
    assert gop_from_keyframes(flags) == expected


def test_compatible_brands_are_split_into_four_character_codes():
    assert split_brands("isomiso2avc1mp41") == ["avc1", "iso2", "isom", "mp41"]
    assert split_brands(None) == []
