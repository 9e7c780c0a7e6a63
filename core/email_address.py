"""What counts as an e-mail address: exactly one, in the form browsers accept for type=email.

A mail header's To may hold a list ("a@x, b@y"), so a looser check would let one account's
mails (password reset links among them) go to a second, unrelated mailbox.
"""

from __future__ import annotations

import re

MAX_LENGTH = 254

# The WHATWG HTML definition of a valid e-mail address: no spaces, commas, quotes, angle
# brackets or comments, so nothing that a mail header could read as a second address.
_ADDRESS = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)


def email_address(text: str) -> str:
    """``text`` without surrounding blanks if it is exactly one address; else ValueError."""
    address = text.strip()
    if len(address) > MAX_LENGTH or not _ADDRESS.fullmatch(address):
        raise ValueError("not an e-mail address")
    return address
