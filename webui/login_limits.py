"""Login rate limiting: failed attempts counted per e-mail address and per client network.

Kept in memory: the web UI is one process (threads), and a restart forgetting the counts is
acceptable. A blocked key stays blocked until its oldest failure leaves the window.
"""

from __future__ import annotations

import time

from core.sliding_window import Clock, SlidingWindowLimiter


class LoginLimiter:
    """Two sliding windows of failed logins: one per account, one per client network."""

    def __init__(
        self,
        max_per_account: int,
        max_per_address: int,
        window_s: float,
        clock: Clock = time.monotonic,
    ) -> None:
        self.per_account = SlidingWindowLimiter(max_per_account, window_s, clock=clock)
        self.per_address = SlidingWindowLimiter(max_per_address, window_s, clock=clock)

    def is_blocked(self, account: str, address: str) -> bool:
        return self.per_account.is_blocked(account.lower()) or self.per_address.is_blocked(address)

    def record_failure(self, account: str, address: str) -> None:
        self.per_account.record(account.lower())
        self.per_address.record(address)

    def record_success(self, account: str) -> None:
        self.per_account.reset(account.lower())
