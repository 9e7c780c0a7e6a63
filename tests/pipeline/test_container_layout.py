"""The top-level box walk on tiny hand-made files: only a size that claims more than the file
holds is a cut; sizes a writer leaves open and trailing bytes that are no box are not."""

from __future__ import annotations

import struct

from pipeline.media.layout import read_layout


def box(kind: bytes, payload: bytes = b"", size: int | None = None) -> bytes:
    return struct.pack(">I", len(payload) + 8 if size is None else size) + kind + payload


def riff(form: bytes, payload: bytes, size: int | None = None) -> bytes:
    declared = len(payload) + 4 if size is None else size
    return b"RIFF" + struct.pack("<I", declared) + form + payload


def write(tmp_path, data: bytes):
    path = tmp_path / "clip.bin"
    path.write_bytes(data)
    return path


def test_mp4_whose_boxes_end_with_the_file_is_whole(tmp_path):
    data = box(b"ftyp", b"isom") + box(b"mdat", b"x" * 100) + box(b"moov", b"m" * 10)

    layout = read_layout(write(tmp_path, data))

    assert [b.kind for b in layout.boxes] == ["ftyp", "mdat", "moov"]
    assert not layout.is_cut and layout.describe_cut() is None


def test_mp4_ending_inside_its_mdat_without_moov_says_the_index_is_missing(tmp_path):
    data = box(b"ftyp", b"isom") + box(b"mdat", b"x" * 100, size=8 + 4000)

    layout = read_layout(write(tmp_path, data))

    assert layout.cut_box.kind == "mdat"
    assert layout.describe_cut() == (
        "the file ends 0.1 kB into its 3.9 kB mdat box, "
        "and the moov box (the index a camera writes last) is missing"
    )


def test_a_64_bit_box_size_is_read(tmp_path):
    large = struct.pack(">I", 1) + b"mdat" + struct.pack(">Q", 16 + 5000) + b"x" * 100

    assert read_layout(write(tmp_path, box(b"ftyp", b"isom") + large)).cut_box.size == 5016


def test_a_box_of_size_zero_runs_to_the_end_of_the_file(tmp_path):
    data = box(b"ftyp", b"isom") + box(b"moov", b"m" * 10) + box(b"mdat", b"x" * 100, size=0)

    layout = read_layout(write(tmp_path, data))

    assert not layout.is_cut and layout.boxes[-1].size == 108


def test_trailing_bytes_that_are_no_box_are_not_a_cut(tmp_path):
    data = box(b"ftyp", b"isom") + box(b"moov", b"m") + b"\x00\xff\xfe\x01\x02\x03\x04\x05"

    layout = read_layout(write(tmp_path, data))

    assert [b.kind for b in layout.boxes] == ["ftyp", "moov"] and not layout.is_cut


def test_avi_ending_before_its_riff_size_is_cut(tmp_path):
    layout = read_layout(write(tmp_path, riff(b"AVI ", b"x" * 100, size=4 + 3000)))

    assert layout.describe_cut() == "the file ends 0.1 kB into its 2.9 kB RIFF chunk"


def test_avi_written_to_a_pipe_keeps_an_open_riff_size_that_is_not_trusted(tmp_path):
    for open_size in (0, 0xFFFFFFFF):
        layout = read_layout(write(tmp_path, riff(b"AVI ", b"x" * 100, size=open_size)))
        assert layout.cut_box is None


def test_opendml_avix_chunks_after_the_first_riff_are_walked_too(tmp_path):
    data = riff(b"AVI ", b"x" * 100) + riff(b"AVIX", b"y" * 10, size=4 + 500)

    layout = read_layout(write(tmp_path, data))

    assert [b.offset for b in layout.boxes] == [0, 112]
    assert layout.cut_box.offset == 112


def test_files_of_other_kinds_have_no_layout(tmp_path):
    assert read_layout(write(tmp_path, b"\xff\xd8\xff" + b"jpeg" * 10)).boxes == ()


def test_mp4_with_media_data_but_no_moov_lacks_its_index_even_with_an_open_mdat(tmp_path):
    data = box(b"ftyp", b"isom") + box(b"mdat", b"x" * 100, size=0)

    layout = read_layout(write(tmp_path, data))

    assert layout.cut_box is None and not layout.vouches_for_end
    assert layout.describe_cut() == "the moov box (the index a camera writes last) is missing"


def test_only_closed_whole_boxes_vouch_for_the_end_of_the_file(tmp_path):
    whole = box(b"ftyp", b"isom") + box(b"moov", b"m" * 10) + box(b"mdat", b"x" * 10)
    open_mdat = box(b"ftyp", b"isom") + box(b"moov", b"m" * 10) + box(b"mdat", b"x", size=0)

    assert read_layout(write(tmp_path, whole)).vouches_for_end
    assert not read_layout(write(tmp_path, open_mdat)).vouches_for_end
    assert not read_layout(write(tmp_path, riff(b"AVI ", b"x" * 10, size=0))).vouches_for_end
