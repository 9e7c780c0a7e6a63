"""The top-level layout of a container file: does the file end where its own headers say?

An MP4/MOV is a sequence of boxes and an AVI a sequence of RIFF chunks, each starting with its
size. A camera writes them whole; an upload that was cut off ends inside one of them. Plain FTP
cannot tell a client that died from one that finished (both close the data connection), so this
is one of the two proofs that a file is whole (the other: every sample the container's index
declares demuxes, `pipeline.media.probe`). It reads a few headers, never the media data.

Only sizes that claim more than the file holds count as a cut. Sizes a writer leaves open are
not trusted either way: an ISO box of size 0 runs to the end of the file by definition, and an
AVI written to a pipe keeps RIFF size 0 or 0xFFFFFFFF.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pipeline.media.sniff import AVI, MP4, sniff_container

# A real clip has a handful of top-level boxes; a hostile file must not make the walk long.
MAX_TOP_LEVEL_BOXES = 1024
_RIFF_OPEN_SIZES = frozenset({0, 0xFFFFFFFF})


@dataclass(frozen=True)
class TopLevelBox:
    """One ISO box or RIFF chunk at the top of the file, with the size its header declares."""

    kind: str
    offset: int
    size: int
    # An ISO box of size 0 "runs to the end of the file": it cannot say where the file ends.
    open_ended: bool = False

    @property
    def end(self) -> int:
        return self.offset + self.size


@dataclass(frozen=True)
class FileLayout:
    file_size: int
    boxes: tuple[TopLevelBox, ...] = ()

    @property
    def cut_box(self) -> TopLevelBox | None:
        """The box the file ends inside of (None: every declared box is whole)."""
        return next((box for box in self.boxes if box.end > self.file_size), None)

    @property
    def lacks_index(self) -> bool:
        """An MP4 with media data but no ``moov``: its writer never got to write the index."""
        kinds = self.kinds()
        return "mdat" in kinds and "moov" not in kinds

    @property
    def is_cut(self) -> bool:
        return self.cut_box is not None or self.lacks_index

    @property
    def vouches_for_end(self) -> bool:
        """Do the boxes' own sizes say the file ends here (whole, none open-ended)?

        When they do, a video track with fewer frames than its header declares was written
        that way (a header that counts wrong); when they cannot, only the frame count can
        show a cut.
        """
        return bool(self.boxes) and not self.is_cut and not self.boxes[-1].open_ended

    def kinds(self) -> set[str]:
        return {box.kind for box in self.boxes}

    def describe_cut(self) -> str | None:
        """What is missing, for a rejection's detail; None when the file is whole."""
        missing = []
        box = self.cut_box
        if box is not None:
            present = self.file_size - box.offset
            noun = "chunk" if box.kind == "RIFF" else "box"
            missing.append(
                f"the file ends {_megabytes(present)} into its {_megabytes(box.size)} "
                f"{box.kind} {noun}"
            )
        if self.lacks_index:
            missing.append("the moov box (the index a camera writes last) is missing")
        return ", and ".join(missing) or None


def read_layout(path: Path) -> FileLayout:
    """The top-level boxes of an MP4/MOV or the RIFF chunks of an AVI; others have none."""
    with path.open("rb") as handle:
        head = handle.read(64)
        file_size = handle.seek(0, 2)
        kind = sniff_container(head)
        if kind == MP4:
            return FileLayout(file_size, tuple(_iso_boxes(handle, file_size)))
        if kind == AVI:
            return FileLayout(file_size, tuple(_riff_chunks(handle, file_size)))
    return FileLayout(file_size)


def _iso_boxes(handle: BinaryIO, file_size: int) -> list[TopLevelBox]:
    boxes: list[TopLevelBox] = []
    offset = 0
    while offset + 8 <= file_size and len(boxes) < MAX_TOP_LEVEL_BOXES:
        handle.seek(offset)
        header = handle.read(16)
        size, kind = int.from_bytes(header[:4], "big"), header[4:8]
        if not _is_box_type(kind):
            break  # trailing bytes that are no box: not a cut
        if size == 1:
            if len(header) < 16:
                boxes.append(TopLevelBox(kind.decode(), offset, 16))  # cut inside the header
                break
            size = int.from_bytes(header[8:16], "big")
        elif size == 0:
            boxes.append(TopLevelBox(kind.decode(), offset, file_size - offset, open_ended=True))
            break
        if size < 8:
            break  # a broken header, not a cut: the demuxer will say what is wrong
        boxes.append(TopLevelBox(kind.decode(), offset, size))
        offset += size
    return boxes


def _riff_chunks(handle: BinaryIO, file_size: int) -> list[TopLevelBox]:
    """``RIFF AVI `` and the OpenDML ``RIFF AVIX`` extensions that follow it."""
    chunks: list[TopLevelBox] = []
    offset = 0
    while offset + 8 <= file_size and len(chunks) < MAX_TOP_LEVEL_BOXES:
        handle.seek(offset)
        header = handle.read(8)
        if header[:4] != b"RIFF":
            break
        declared = int.from_bytes(header[4:8], "little")
        if declared in _RIFF_OPEN_SIZES:
            break
        size = 8 + declared + (declared & 1)
        chunks.append(TopLevelBox("RIFF", offset, size))
        offset += size
    return chunks


def _is_box_type(kind: bytes) -> bool:
    return len(kind) == 4 and all(0x20 <= byte < 0x7F for byte in kind)


def _megabytes(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} kB"
    return f"{size / (1024 * 1024):.1f} MB"
