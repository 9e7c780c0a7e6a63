"""Login rate limiting that strangers cannot turn into a lock-out.

Failed logins are counted per (client network, account): a stranger who guesses an account's
password blocks only their own network for that account, not its owner at home. Two wider
windows stop spread-out guessing: per client network (all accounts) and per account (all
networks). A browser that logged in to the account before carries a signed device cookie
(`webui.known_devices`); it is counted on its own window and passes the wider ones, so the
owner's right password from a known device still works while strangers are refused.

Kept in memory: the web UI is one process (threads), and a restart forgetting the counts is
acceptable. With a PostgreSQL catalog (several web nodes) they are kept in the catalog instead,
one count for every node (`core.catalog.shared_limits`). A blocked key stays blocked until its
oldest failure leaves the window.
"""

from __future__ import annotations

import time

from core.catalog.shared_limits import SharedLimits
from core.sliding_window import Clock, SlidingWindowLimiter


class LoginLimiter:
    """Sliding windows of failed logins: per (network, account), per network, per account,
    and per known device."""

    def __init__(
        self,
        max_per_address_and_account: int,
        max_per_address: int,
        max_per_account: int,
        window_s: float,
        clock: Clock = time.monotonic,
        shared: SharedLimits | None = None,
    ) -> None:
        """``shared``: the catalog's tables every web node counts into (then with wall-clock
        time, the same on every node); None keeps the counts in this process."""

        def limiter(name: str, limit: int) -> SlidingWindowLimiter:
            if shared is None:
                return SlidingWindowLimiter(limit, window_s, clock=clock)
            store = shared.window(f"web_login_{name}")
            return SlidingWindowLimiter(limit, window_s, clock=time.time, store=store)

        self.per_address_and_account = limiter(
            "per_address_and_account", max_per_address_and_account
        )
        self.per_address = limiter("per_address", max_per_address)
        self.per_account = limiter("per_account", max_per_account)
        self.per_device = limiter("per_device", max_per_address_and_account)

    def is_blocked(self, account: str, address: str, device: str | None = None) -> bool:
        """``device``: the id of a valid device cookie of this account, if the browser sent one."""
        if device is not None:
            return self.per_device.is_blocked(device)
        return (
            self.per_address_and_account.is_blocked(_pair(account, address))
            or self.per_address.is_blocked(address)
            or self.per_account.is_blocked(account.lower())
        )

    def record_failure(self, account: str, address: str, device: str | None = None) -> None:
        self.per_address_and_account.record(_pair(account, address))
        self.per_address.record(address)
        self.per_account.record(account.lower())
        if device is not None:
            self.per_device.record(device)

    def record_success(self, account: str, address: str, device: str | None = None) -> None:
        self.per_address_and_account.reset(_pair(account, address))
        if device is not None:
            self.per_device.reset(device)


def _pair(account: str, address: str) -> str:
    return f"{address} {account.lower()}"
