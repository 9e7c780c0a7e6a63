"""The signature stages as pure rules: tiny facts in, a verdict (or None) out, no files."""

from __future__ import annotations

from dataclasses import replace

import pytest

from core.camera_models import CameraModel
from core.catalog.states import FairUseState
from core.fingerprint import ClipFingerprint, LearnedFingerprint
from core.settings.validation import ValidationSettings
from pipeline.media.probe import ClipProbe
from pipeline.media.still import StillProbe
from pipeline.signature.stages import ClipLengthRule, SignatureStages, facts_of
from pipeline.signature.verdict import DELAYED_LANE, NORMAL_LANE

CAMERA = {"id": 1, "enabled": 1, "fairuse_state": FairUseState.OK}
FULL_HD = CameraModel(
    name="IN-8015",
    series="FullHD",
    sizes=frozenset({(1920, 1080), (1280, 720), (640, 360)}),
    fps_range=(1.0, 30.0),
    codecs=frozenset({"h264"}),
    containers=frozenset({"mp4"}),
    sftp=False,
)
STAGES = SignatureStages(ValidationSettings(max_size_mb=10, fingerprint_clips=2))


def good_probe(**changes) -> ClipProbe:
    values = dict(
        container="mov,mp4,m4a,3gp,3g2,mj2",
        video_streams=1,
        codec="h264",
        width=1280,
        height=720,
        fps=15.0,
        frame_count=270,
        duration_s=18.0,
        profile="High",
        level=31,
        gop_frames=30,
        keyframes=9,
        major_brand="isom",
        compatible_brands=["isom", "mp41"],
    )
    values.update(changes)
    return ClipProbe(**values)


def test_unknown_account_is_not_registered():
    assert STAGES.admit(None, 100, "mp4").reason == "not_registered"


def test_disabled_camera_is_not_registered():
    assert STAGES.admit({**CAMERA, "enabled": 0}, 100, "mp4").reason == "not_registered"


def test_size_at_the_cap_passes_and_one_byte_more_is_over_hard_cap():
    cap = 10 * 1024 * 1024
    assert STAGES.admit(CAMERA, cap, "mp4") is None
    assert STAGES.admit(CAMERA, cap + 1, "mp4").reason == "over_hard_cap"


def test_bytes_that_are_no_video_container_are_not_video():
    assert STAGES.admit(CAMERA, 100, "unknown").reason == "not_video"


def test_a_jpeg_passes_admission_unless_its_camera_has_snapshots_off():
    assert STAGES.admit({**CAMERA, "keep_snapshots": 1}, 100, "jpeg") is None
    refused = STAGES.admit({**CAMERA, "keep_snapshots": 0}, 100, "jpeg")
    assert (refused.reason, refused.outcome) == ("snapshots_off", "reject")
    # Off only stops snapshots: a clip of the same camera is admitted.
    assert STAGES.admit({**CAMERA, "keep_snapshots": 0}, 100, "mp4") is None


def test_a_whole_jpeg_of_a_size_the_model_snaps_is_accepted_as_a_still():
    verdict = STAGES.check_still(StillProbe(1280, 720, 3), FULL_HD)
    assert verdict.accepted
    assert verdict.probe == {
        "width": 1280,
        "height": 720,
        "components": 3,
        "progressive": False,
        "sniffed": "jpeg",
    }


@pytest.mark.parametrize(
    ("probe", "model", "reason", "detail"),
    [
        (
            StillProbe(1280, 720, 3, truncation="no end-of-image marker"),
            FULL_HD,
            "truncated",
            "JPEG snapshot cut off: no end-of-image marker",
        ),
        (StillProbe(error="no start-of-image marker"), FULL_HD, "undecodable", "JPEG snapshot"),
        (
            StillProbe(800, 600, 3),
            FULL_HD,
            "profile_mismatch",
            "JPEG snapshot 800x600 is not a snapshot size of IN-8015",
        ),
        (StillProbe(1280, 720, 3), None, "profile_mismatch", "not in the model table"),
    ],
    ids=["cut-off", "no-jpeg", "size-of-no-stream", "unknown-model"],
)
def test_a_still_that_is_not_the_cameras_is_refused(probe, model, reason, detail):
    verdict = STAGES.check_still(probe, model)
    assert verdict.reason == reason
    assert detail in verdict.detail


def test_a_models_own_snapshot_sizes_replace_its_frame_sizes():
    snaps_small = replace(FULL_HD, snapshot_sizes=frozenset({(640, 360)}))
    assert STAGES.check_still(StillProbe(640, 360, 3), snaps_small).accepted
    assert STAGES.check_still(StillProbe(1280, 720, 3), snaps_small).reason == "profile_mismatch"


@pytest.mark.parametrize("container", ["mp4", "avi"])
def test_video_containers_pass_admission(container):
    assert STAGES.admit(CAMERA, 100, container) is None


def test_unparsable_probe_is_undecodable():
    verdict = STAGES.check_streams(ClipProbe(error="cannot parse container: x"), FULL_HD, "mp4")
    assert verdict.reason == "undecodable"


def test_last_frame_not_decoding_is_undecodable():
    verdict = STAGES.check_streams(
        good_probe(error="frame 269 of 270 does not decode"), FULL_HD, "mp4"
    )
    assert verdict.reason == "undecodable"


def test_cut_off_clip_is_truncated_saying_how_much_is_there():
    cut_off = "60 of 180 frames, 6.0 of 18.0 s; the file ends 1.6 MB into its 4.9 MB mdat box"

    verdict = STAGES.check_streams(
        good_probe(frame_count=60, duration_s=6.0, truncation=cut_off), FULL_HD, "mp4"
    )

    assert (verdict.reason, verdict.detail) == ("truncated", cut_off)
    assert verdict.probe["duration_s"] == 6.0


def test_cut_off_clip_that_does_not_parse_is_truncated_not_undecodable():
    probe = ClipProbe(
        error="cannot parse container: moov atom not found",
        truncation="no frames could be read; the file ends 1.6 MB into its 4.9 MB mdat box",
    )

    assert STAGES.check_streams(probe, FULL_HD, "mp4").reason == "truncated"


def test_no_video_stream_is_unsupported_stream():
    verdict = STAGES.check_streams(
        ClipProbe(audio_streams=1, error="no video stream"), FULL_HD, "mp4"
    )
    assert verdict.reason == "unsupported_stream"


@pytest.mark.parametrize("codec", ["mjpeg", "mpeg4", "vp9"])
def test_codec_other_than_h264_or_h265_is_unsupported_stream(codec):
    assert STAGES.check_streams(good_probe(codec=codec), FULL_HD, "mp4").reason == (
        "unsupported_stream"
    )


def test_two_video_streams_are_unsupported_stream():
    verdict = STAGES.check_streams(good_probe(video_streams=2), FULL_HD, "mp4")
    assert verdict.reason == "unsupported_stream"


def test_duration_at_the_hard_cap_passes_and_longer_is_over_hard_cap():
    assert STAGES.check_streams(good_probe(duration_s=600.0), FULL_HD, "mp4") is None
    verdict = STAGES.check_streams(good_probe(duration_s=600.1), FULL_HD, "mp4")
    assert verdict.reason == "over_hard_cap"


def test_frame_size_the_model_does_not_produce_is_profile_mismatch():
    verdict = STAGES.check_streams(good_probe(width=800, height=448), FULL_HD, "mp4")
    assert verdict.reason == "profile_mismatch"
    assert "800x448" in verdict.detail


def test_frame_rate_beyond_the_models_range_plus_rounding_is_profile_mismatch():
    assert STAGES.check_streams(good_probe(fps=30.5), FULL_HD, "mp4") is None
    assert STAGES.check_streams(good_probe(fps=30.6), FULL_HD, "mp4").reason == ("profile_mismatch")


def test_hevc_from_a_model_that_writes_only_h264_is_profile_mismatch():
    assert STAGES.check_streams(good_probe(codec="hevc"), FULL_HD, "mp4").reason == (
        "profile_mismatch"
    )


def test_avi_from_a_model_that_writes_mp4_is_profile_mismatch():
    assert STAGES.check_streams(good_probe(), FULL_HD, "avi").reason == "profile_mismatch"


def test_camera_whose_model_left_the_table_is_profile_mismatch():
    assert STAGES.check_streams(good_probe(), None, "mp4").reason == "profile_mismatch"


def test_clip_the_model_produces_passes():
    assert STAGES.check_streams(good_probe(), FULL_HD, "mp4") is None


def learned_from(*probes: ClipProbe) -> LearnedFingerprint:
    learned = LearnedFingerprint()
    for probe in probes:
        learned = learned.learn(ClipFingerprint.from_probe(facts_of(probe, "mp4")))
    return learned


def test_fingerprint_is_not_enforced_while_still_learning():
    learned = learned_from(good_probe())
    facts = facts_of(good_probe(profile="Baseline"), "mp4")
    assert STAGES.check_fingerprint(learned, facts) is None
    assert STAGES.check_fingerprint(None, facts) is None


def test_learned_fingerprint_quarantines_a_clip_from_other_encoder_settings():
    learned = learned_from(good_probe(), good_probe())
    verdict = STAGES.check_fingerprint(learned, facts_of(good_probe(profile="Baseline"), "mp4"))
    assert verdict.quarantined
    assert verdict.reason == "fingerprint_mismatch"
    assert "profile" in verdict.detail


def test_learned_fingerprint_passes_a_matching_clip():
    learned = learned_from(good_probe(), good_probe())
    assert STAGES.check_fingerprint(learned, facts_of(good_probe(), "mp4")) is None


def test_accepted_clip_of_18_s_plus_tolerance_takes_the_normal_lane():
    assert STAGES.accept(facts_of(good_probe(duration_s=20.0), "mp4")).lane == NORMAL_LANE
    assert STAGES.accept(facts_of(good_probe(duration_s=20.01), "mp4")).lane == DELAYED_LANE


@pytest.mark.parametrize(
    ("duration", "standard"),
    [(0.5, True), (18.0, True), (20.0, True), (20.001, False), (25.0, False)],
)
def test_clip_length_rule_edges(duration, standard):
    rule = ClipLengthRule(alarm_clip_s=18.0, tolerance_s=2.0)
    assert rule.is_standard(duration) is standard
    assert rule.lane(duration) == (NORMAL_LANE if standard else DELAYED_LANE)


def test_zero_tolerance_makes_18_s_the_last_standard_length():
    rule = ClipLengthRule(alarm_clip_s=18.0, tolerance_s=0.0)
    assert rule.is_standard(18.0)
    assert not rule.is_standard(18.01)
