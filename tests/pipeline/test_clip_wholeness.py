"""Cut-off uploads on real files: a clip is indexed only when every frame its container declares
is in the file, with the length actually there; a cut one is rejected as ``truncated``, saying
how much arrived."""

from __future__ import annotations

import re
import struct

import pytest

from core.camera_models import load_model_table
from core.catalog.recordings import list_recordings
from core.catalog.rejections import list_rejections
from core.catalog.states import JobState
from pipeline.media.probe import probe_clip
from pipeline.media.probe_worker import IsolatedProbe
from pipeline.processor import ClipProcessor
from pipeline.signature.inspection import check_upload
from tests.pipeline.rule_clips import SMALL

# 18 s at 10 fps: 180 frames, a keyframe every second, as a Full HD camera's sub-stream.
ALARM = {**SMALL, "seconds": 18}
FRAMES_AND_SECONDS = re.compile(r"^(\d+) of 180 frames, (\d+\.\d) of 18\.0 s")


@pytest.fixture(scope="module")
def faststart_clip(clip_factory):
    return clip_factory(**ALARM, faststart=True)


@pytest.fixture(scope="module")
def moov_last_clip(clip_factory):
    return clip_factory(**ALARM)


@pytest.fixture(scope="module")
def avi_clip(clip_factory):
    return clip_factory(**ALARM, container_format="avi")


def cut(source, tmp_path, share: float, suffix: str = ".mp4"):
    data = source.read_bytes()
    target = tmp_path / f"cut{suffix}"
    target.write_bytes(data[: int(len(data) * share)])
    return target


def process(settings, catalog, camera, spool_upload, path):
    folder = spool_upload(path, camera, name="A20261125_130000.mp4")
    return ClipProcessor(settings, catalog, "test:0").process(folder)


def the_rejection(catalog) -> dict:
    [rejection] = list_rejections(catalog)
    assert list_recordings(catalog) == []
    return rejection


@pytest.mark.parametrize("clip", ["faststart_clip", "moov_last_clip"])
def test_whole_clip_is_indexed_with_the_length_of_its_frames(
    settings, catalog, make_camera, spool_upload, request, clip
):
    path = request.getfixturevalue(clip)

    assert process(settings, catalog, make_camera(), spool_upload, path) == JobState.INDEXED

    [recording] = list_recordings(catalog)
    assert recording["duration_s"] == 18.0
    assert recording["frame_count"] == 180


def test_faststart_mp4_cut_at_a_third_is_truncated_with_what_arrived(
    settings, catalog, make_camera, spool_upload, faststart_clip, tmp_path
):
    path = cut(faststart_clip, tmp_path, 1 / 3)

    assert process(settings, catalog, make_camera(), spool_upload, path) == JobState.REJECTED

    rejection = the_rejection(catalog)
    assert rejection["reason"] == "truncated"
    frames, seconds = FRAMES_AND_SECONDS.match(rejection["detail"]).groups()
    # A third of the bytes, and the first frames of a GOP are its biggest.
    assert 30 <= int(frames) <= 70
    assert float(seconds) == pytest.approx(int(frames) / 10, abs=0.05)
    assert "mdat box" in rejection["detail"]


def test_faststart_mp4_missing_its_last_percent_is_truncated(
    settings, catalog, make_camera, spool_upload, faststart_clip, tmp_path
):
    path = cut(faststart_clip, tmp_path, 0.99)

    assert process(settings, catalog, make_camera(), spool_upload, path) == JobState.REJECTED

    rejection = the_rejection(catalog)
    assert rejection["reason"] == "truncated"
    frames, _seconds = FRAMES_AND_SECONDS.match(rejection["detail"]).groups()
    assert 170 <= int(frames) < 180


def test_mp4_cut_before_its_moov_is_truncated_not_undecodable(
    settings, catalog, make_camera, spool_upload, moov_last_clip, tmp_path
):
    path = cut(moov_last_clip, tmp_path, 1 / 3)

    assert process(settings, catalog, make_camera(), spool_upload, path) == JobState.REJECTED

    rejection = the_rejection(catalog)
    assert rejection["reason"] == "truncated"
    assert rejection["detail"].startswith("no frames could be read; the file ends ")
    assert "moov box (the index a camera writes last) is missing" in rejection["detail"]


def test_mp4_cut_inside_its_moov_is_truncated_though_every_frame_is_there(
    settings, catalog, make_camera, spool_upload, moov_last_clip, tmp_path
):
    # The demuxer reads a moov that lost its last bytes (metadata) without complaint: only the
    # box sizes tell.
    path = tmp_path / "cut.mp4"
    path.write_bytes(moov_last_clip.read_bytes()[:-40])

    assert process(settings, catalog, make_camera(), spool_upload, path) == JobState.REJECTED

    rejection = the_rejection(catalog)
    assert rejection["reason"] == "truncated"
    assert rejection["detail"].startswith("180 of 180 frames, 18.0 of 18.0 s; the file ends")
    assert "moov box" in rejection["detail"]


def test_whole_avi_measures_its_frames_and_length(avi_clip):
    probe = probe_clip(avi_clip)

    assert probe.ok and probe.whole
    assert (probe.frame_count, probe.declared_frames, probe.duration_s) == (180, 180, 18.0)


def test_whole_avi_whose_header_counts_more_frames_than_it_holds_is_not_truncated(
    avi_clip, tmp_path
):
    # Some writers fill in the frame count before recording; the RIFF sizes still say where
    # the file ends, and every frame written is there.
    data = bytearray(avi_clip.read_bytes())
    length_field = data.find(b"strh") + 8 + 32  # AVISTREAMHEADER.dwLength
    assert struct.unpack_from("<I", data, length_field) == (180,)
    struct.pack_into("<I", data, length_field, 200)
    path = tmp_path / "counts-wrong.avi"
    path.write_bytes(bytes(data))

    probe = probe_clip(path)

    assert probe.ok and probe.whole
    assert (probe.frame_count, probe.declared_frames, probe.duration_s) == (180, 200, 18.0)


def test_avi_cut_in_half_is_truncated(
    settings, catalog, make_camera, spool_upload, avi_clip, tmp_path
):
    path = cut(avi_clip, tmp_path, 0.5, ".avi")

    assert process(settings, catalog, make_camera(), spool_upload, path) == JobState.REJECTED

    rejection = the_rejection(catalog)
    assert rejection["reason"] == "truncated"
    frames, _seconds = FRAMES_AND_SECONDS.match(rejection["detail"]).groups()
    assert 60 <= int(frames) <= 120
    assert "RIFF chunk" in rejection["detail"]


def test_clip_whose_last_frames_hold_garbage_is_undecodable(
    settings, catalog, make_camera, spool_upload, faststart_clip, tmp_path
):
    # Every sample is present and the last keyframe intact: only decoding the last GOP's
    # predicted frames shows that the data in them is no video.
    packets = probe_clip(faststart_clip).packets.packets
    assert not any(packet.keyframe for packet in packets[-3:])
    data = bytearray(faststart_clip.read_bytes())
    for packet in packets[-3:]:
        data[packet.pos : packet.pos + packet.size] = bytes(packet.size)
    path = tmp_path / "garbage-tail.mp4"
    path.write_bytes(bytes(data))

    probe = probe_clip(path)
    assert probe.whole and not probe.ok
    assert process(settings, catalog, make_camera(), spool_upload, path) == JobState.REJECTED
    assert the_rejection(catalog)["reason"] == "undecodable"


def test_probe_keeps_the_packet_table_also_from_the_isolated_child(faststart_clip):
    local = probe_clip(faststart_clip)
    with IsolatedProbe(timeout_s=30) as isolated:
        remote = isolated.probe(faststart_clip)

    assert remote.packets == local.packets
    table = local.packets
    assert len(table.packets) == local.frame_count == 180
    assert sum(table.keyframes) == local.keyframes == 18
    assert local.decoded_frames[0] == 0 and local.decoded_frames[-10:] == list(range(170, 180))
    size = faststart_clip.stat().st_size
    positions = [packet.pos for packet in table.packets]
    assert positions == sorted(positions)
    assert all(packet.pos > 0 and packet.pos + packet.size <= size for packet in table.packets)
    last = max(packet.pts for packet in table.packets)
    assert table.seconds(last) == pytest.approx(17.9)
    # The job keeps the facts, not the table.
    assert "packets" not in local.as_dict()


def test_accepted_verdict_carries_the_packet_table_for_later_stages(
    settings, make_camera, faststart_clip
):
    camera = make_camera()
    model = load_model_table(settings.validation.extra_camera_models)[camera["model"]]
    with IsolatedProbe(timeout_s=30) as isolated:
        verdict = check_upload(
            camera, model, faststart_clip, settings.validation, prober=isolated.probe
        )

    assert verdict.accepted
    assert verdict.packets == probe_clip(faststart_clip).packets
    assert "packets" not in verdict.probe
