"""Plate text rules shared by the reader, the catalog and the web UI: how a reading is
normalised, and when two readings count as the same plate.

Country-agnostic: a plate is its letters and digits, upper case. Two readings match when they
are equal after folding the classic OCR look-alikes (O/0, I/1, B/8, S/5, Z/2) or when one has
a single character more than the other (a character lost at the plate's edge or to a screw).
"""

from __future__ import annotations

import re

_NOT_PLATE = re.compile(r"[^0-9A-Z]")
# Each look-alike pair folds onto its digit.
_FOLD = str.maketrans("OIBSZ", "01852")
MAX_PLATE_LENGTH = 12


def normalise_plate(text: str) -> str:
    """Upper case, letters and digits only ('rha-0a 01' -> 'RHA0A01')."""
    return _NOT_PLATE.sub("", text.upper())[:MAX_PLATE_LENGTH]


def plate_key(text: str) -> str:
    """The normalised text with look-alikes folded: equal keys are the same plate."""
    return normalise_plate(text).translate(_FOLD)


def one_missing(key: str) -> set[str]:
    """Every key with one character of ``key`` left out."""
    return {key[:i] + key[i + 1 :] for i in range(len(key))} if len(key) > 1 else set()


def plates_match(a: str, b: str) -> bool:
    """Whether two readings are the same plate, up to look-alikes and one missing character."""
    key_a, key_b = plate_key(a), plate_key(b)
    if not key_a or not key_b:
        return False
    return key_a == key_b or key_a in one_missing(key_b) or key_b in one_missing(key_a)
