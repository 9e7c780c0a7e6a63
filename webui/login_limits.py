"""Login rate limiting: failed attempts counted per e-mail address and per client network.

Kept in memory: the web UI is one process (threads), and a restart forgetting the counts is
acceptable. A blocked key stays blocked until its oldest failure leaves the window.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class LoginLimiter:
    def __init__(self, max_per_account: int, max_per_address: int, window_s: float) -> None:
        self.max_per_account = max_per_account
        self.max_per_address = max_per_address
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> int:
        failures = self._failures.get(key)
        if failures is None:
            return 0
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return 0
        return len(failures)

    def is_blocked(self, account: str, address: str) -> bool:
        now = time.monotonic()
        with self._lock:
            return (
                self._recent("a:" + account.lower(), now) >= self.max_per_account
                or self._recent("n:" + address, now) >= self.max_per_address
            )

    def record_failure(self, account: str, address: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._failures["a:" + account.lower()].append(now)
            self._failures["n:" + address].append(now)

    def record_success(self, account: str) -> None:
        with self._lock:
            self._failures.pop("a:" + account.lower(), None)
