"""Mutate media files the way broken uploads and attackers do (for the fuzz suites).

Not used when serving: `scripts/fuzz-probe` and the short fuzz test in `make test` feed these
to the probe to show that no input crashes or hangs the pipeline.
"""

from __future__ import annotations

import random
import struct

MUTATIONS = ("flip", "truncate", "box_size", "splice", "zero_run", "duplicate")


def mutate(data: bytes, rng: random.Random, rounds: int = 3) -> bytes:
    """``data`` with ``rounds`` random damages applied."""
    buffer = bytearray(data)
    for _ in range(rounds):
        kind = rng.choice(MUTATIONS)
        if not buffer:
            break
        if kind == "flip":
            for _ in range(rng.randint(1, 16)):
                position = rng.randrange(len(buffer))
                buffer[position] ^= 1 << rng.randrange(8)
        elif kind == "truncate":
            del buffer[rng.randrange(len(buffer)) :]
        elif kind == "box_size":
            # ISO-BMFF/RIFF sizes are 32-bit fields: lie about one near a known tag.
            position = _near_tag(buffer, rng)
            value = rng.choice([0, 1, 7, 0xFFFFFFFF, 0x7FFFFFFF, rng.randrange(1 << 32)])
            buffer[position : position + 4] = struct.pack(">I", value)
        elif kind == "splice":
            start = rng.randrange(len(buffer))
            length = rng.randint(1, min(4096, len(buffer) - start))
            chunk = buffer[start : start + length]
            target = rng.randrange(len(buffer))
            buffer[target:target] = chunk
        elif kind == "zero_run":
            start = rng.randrange(len(buffer))
            length = rng.randint(1, 2048)
            buffer[start : start + length] = bytes(min(length, len(buffer) - start))
        elif kind == "duplicate":
            start = rng.randrange(len(buffer))
            buffer[start:start] = buffer[start : start + rng.randint(1, 64)] * rng.randint(2, 50)
    return bytes(buffer)


def _near_tag(buffer: bytearray, rng: random.Random) -> int:
    tags = (b"moov", b"mdat", b"trak", b"stsz", b"stco", b"avcC", b"LIST", b"movi", b"strh")
    tag = rng.choice(tags)
    position = buffer.find(tag)
    if position >= 4:
        return position - 4
    return rng.randrange(max(1, len(buffer) - 4))
