"""Password logins verified a moment ago, so a camera's next clip need not pay for argon2 again.

A camera logs in for every clip it uploads; each argon2 check costs 0.1-0.4 core-seconds, which
on a small box is more than receiving the clip. After a successful check we keep, for a few
minutes, HMAC-SHA256(key, user name NUL password) -> (camera id, password hash). The key is
random per process and never leaves memory, so the cache holds nothing a clear password can be
recovered from. A hit only counts while the camera's stored hash is still the one we verified:
a new password refuses the old one at once. Camera and owner state are checked on every login
anyway, outside this cache.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

# Bounds memory however many accounts log in; the oldest entries go first.
MAX_ENTRIES = 4096


@dataclass(frozen=True)
class _VerifiedLogin:
    camera_id: int
    password_hash: str
    expires_at: float


class RecentLogins:
    """Recently verified (user name, password) pairs, keyed by a keyed hash, for ``ttl_s``."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._entries: OrderedDict[bytes, _VerifiedLogin] = OrderedDict()

    def _digest(self, username: str, password: str) -> bytes:
        message = username.encode() + b"\0" + password.encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def remember(self, username: str, password: str, camera_id: int, password_hash: str) -> None:
        """Note a login that argon2 just accepted."""
        if self.ttl_s <= 0:
            return
        entry = _VerifiedLogin(camera_id, password_hash, self._clock() + self.ttl_s)
        digest = self._digest(username, password)
        with self._lock:
            self._entries[digest] = entry
            self._entries.move_to_end(digest)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)

    def matches(self, username: str, password: str, camera_id: int, password_hash: str) -> bool:
        """True if this exact login was verified recently against this very password hash."""
        if self.ttl_s <= 0:
            return False
        digest = self._digest(username, password)
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None:
                return False
            if self._clock() >= entry.expires_at:
                del self._entries[digest]
                return False
        return entry.camera_id == camera_id and hmac.compare_digest(
            entry.password_hash, password_hash
        )

    def forget_all(self) -> None:
        with self._lock:
            self._entries.clear()
