"""Keeps full client addresses out of pyftpdlib's own log lines.

Our code logs `shorten_address` forms; pyftpdlib's debug lines include socket reprs and
"foreign address a.b.c.d:port" messages we do not write ourselves. This filter shortens every
IPv4 address in those records to its /24, as the privacy rules in docs/architecture.md ask.
"""

from __future__ import annotations

import logging
import re

# Not followed by "/": an address shortened already stays as it is.
_IPV4 = re.compile(r"\b(\d{1,3}\.\d{1,3}\.\d{1,3})\.\d{1,3}\b(?!/)")
# The PORT command and the PASV reply write an address as h1,h2,h3,h4,p1,p2.
_FTP_HOST_PORT = re.compile(r"\b(\d{1,3},\d{1,3},\d{1,3}),\d{1,3}(,\d{1,3},\d{1,3})\b")


def scrub_addresses(text: str) -> str:
    """``text`` with each IPv4 address replaced by its network (``a.b.c.0/24``)."""
    return _FTP_HOST_PORT.sub(r"\1,0\2", _IPV4.sub(r"\1.0/24", text))


class AddressScrubber(logging.Filter):
    """A logger filter that rewrites a record's message with `scrub_addresses`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = scrub_addresses(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


def install_address_scrubber(logger_name: str) -> None:
    """Add the scrubber to ``logger_name`` once (servers may be built many times per process)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, AddressScrubber) for f in logger.filters):
        logger.addFilter(AddressScrubber())
