"""Tell what a file is from its first bytes; a name's extension is never trusted."""

from __future__ import annotations

from pathlib import Path

MP4 = "mp4"
AVI = "avi"
JPEG = "jpeg"
UNKNOWN = "unknown"

# Top-level ISO-BMFF boxes a QuickTime/MP4 file may start with.
_ISO_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot"}


def sniff_container(head: bytes) -> str:
    """``mp4`` (MP4/MOV), ``avi``, ``jpeg`` or ``unknown`` for the first bytes of a file."""
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return AVI
    if len(head) >= 8 and head[4:8] in _ISO_BOXES:
        return MP4
    if head[:3] == b"\xff\xd8\xff":
        return JPEG
    return UNKNOWN


def sniff_file(path: Path) -> str:
    with path.open("rb") as handle:
        return sniff_container(handle.read(64))
