"""Ids in URLs: every route that names a catalog row takes it as ``<id:name>``.

The converter accepts exactly SQLite's row ids, 1 .. 2**63-1. Anything else (0, a number past
SQLite's range, a non-number) matches no route, so it answers 404 before a view runs; a view
never hands SQLite an int it cannot store (which raises OverflowError, a 500).
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

from core.catalog import MAX_ID


def decimal_range_regex(largest: int) -> str:
    """A regex for the decimal numbers 1 .. ``largest``, without leading zeros.

    The range is checked by the regex, not only by ``to_python``: werkzeug converts after it has
    matched the path, and a value refused there answers 405 when another rule has the same path
    with other methods (PUT and DELETE /cameras/<id>/access), not 404.
    """
    digits = str(largest)
    shorter = f"[1-9][0-9]{{0,{len(digits) - 2}}}" if len(digits) > 1 else None
    same_length = [digits]
    for position, digit in enumerate(digits):
        low = 1 if position == 0 else 0
        if int(digit) > low:
            rest = len(digits) - position - 1
            same_length.append(f"{digits[:position]}[{low}-{int(digit) - 1}][0-9]{{{rest}}}")
    alternatives = [shorter, *same_length] if shorter else same_length
    return "(?:" + "|".join(alternatives) + ")"


class IdConverter(IntegerConverter):
    """``<id:camera_id>``: a catalog row id, 1 .. `MAX_ID`."""

    regex = decimal_range_regex(MAX_ID)

    def __init__(self, map: Map) -> None:
        super().__init__(map, min=1, max=MAX_ID)


def parse_id(text: str | None) -> int | None:
    """A row id from a query string or form field, or None when it is not one."""
    # isdecimal, not isdigit: '²' is a digit that int() refuses.
    if not text or not text.isdecimal() or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None
