"""Sliding-window call counters for the API, kept in memory (the web UI is one process).

A key (a token, a client network) may make ``limit`` calls in any ``window_s`` seconds; a
refused call does not count.
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimitDecision:
    """Whether one call may go ahead, with what the rate-limit headers tell the client."""

    allowed: bool
    limit: int
    remaining: int
    retry_after_s: int


class SlidingWindowLimiter:
    def __init__(self, limit: int, window_s: float = 60.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._calls: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        calls = self._calls[key]
        while calls and calls[0] <= now - self.window_s:
            calls.popleft()
        return calls

    def hit(self, key: str) -> RateLimitDecision:
        """Count a call for ``key`` if the window has room; say whether it may go ahead."""
        now = time.monotonic()
        with self._lock:
            calls = self._prune(key, now)
            if len(calls) >= self.limit:
                wait = math.ceil(calls[0] + self.window_s - now)
                return RateLimitDecision(False, self.limit, 0, max(wait, 1))
            calls.append(now)
            return RateLimitDecision(True, self.limit, self.limit - len(calls), 0)

    def is_exhausted(self, key: str) -> bool:
        now = time.monotonic()
        with self._lock:
            calls = self._prune(key, now)
            exhausted = len(calls) >= self.limit
            if not calls:
                del self._calls[key]
            return exhausted

    def record(self, key: str) -> None:
        with self._lock:
            self._calls[key].append(time.monotonic())
