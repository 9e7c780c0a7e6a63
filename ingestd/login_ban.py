"""The brute-force ban for camera logins: per (address, account), a wider cap per address, and
cameras known to log in from an address.

Keyed by the address alone, a stranger's guesses (or one misconfigured camera) locked out every
camera behind the same address: a site's NAT, a carrier-grade NAT. So:

- Failed logins count per (address, account): ``ban_after_failures`` of them refuse that account
  from that address for ``ban_duration_s``. Other accounts from the address are not touched.
- All failed logins from an address count together as well: ``ban_address_after_failures``
  (higher) of them, spread over many accounts (password spraying), refuse the address for every
  account that never logged in from it.
- A successful login remembers the (address, account) pair for ``known_login_days``
  (`KnownLogins`): a known camera passes the address cap with its right password, so a stranger
  on its network cannot lock it out; its own pair's limit still holds.

An address with no known pair is refused at once when it is capped (FTP 421 before the greeting,
SFTP before SSH starts); one with a known pair is let in to log in. With the SQLite stores of
`shared_state` every worker process counts into the same windows and knows the same pairs; with
a PostgreSQL catalog every node does, through the catalog (`core.catalog.shared_limits`).
Account names are kept as SHA-256 digests: a user name field sometimes holds a mistyped password,
which must not sit in a file in clear.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Protocol

from core.catalog.shared_limits import shared_limits
from core.settings import Settings
from core.sliding_window import Clock, SlidingWindowLimiter, WindowStore
from core.spool import shorten_address
from ingestd.shared_state import (
    ADDRESS_FAILURES,
    LOGIN_FAILURES,
    address_failures_store,
    known_logins_store,
    login_failures_store,
)

logger = logging.getLogger(__name__)

DAY_S = 86_400.0


def account_key(username: str) -> str:
    """How an account is named in the ban's stores: a digest, never the name itself."""
    return hashlib.sha256(username.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class KnownLogins(Protocol):
    """(address, account) pairs that logged in successfully, each until an expiry time."""

    def remember(self, address: str, account: str, until: float, now: float) -> None:
        """Note the pair (again) until ``until``; forget pairs that expired by ``now``."""
        ...

    def is_known(self, address: str, account: str, now: float) -> bool: ...

    def any_known(self, address: str, now: float) -> bool:
        """Whether any account logged in from ``address`` (and has not expired)."""
        ...

    def close(self) -> None: ...


class MemoryKnownLogins:
    """Known pairs in this process's memory (one ingestd process alone)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until: dict[tuple[str, str], float] = {}

    def remember(self, address: str, account: str, until: float, now: float) -> None:
        with self._lock:
            for pair in [pair for pair, ends in self._until.items() if ends <= now]:
                del self._until[pair]
            self._until[address, account] = until

    def is_known(self, address: str, account: str, now: float) -> bool:
        with self._lock:
            return self._until.get((address, account), 0.0) > now

    def any_known(self, address: str, now: float) -> bool:
        with self._lock:
            return any(a == address and ends > now for (a, _), ends in self._until.items())

    def close(self) -> None:
        """Nothing to close; part of the interface."""


def _pair(address: str, account: str) -> str:
    return f"{address} {account}"


class LoginBan:
    """Refuses guessed logins per (address, account) and sprayed ones per address (see module)."""

    def __init__(
        self,
        failures: int,
        window_s: float,
        duration_s: float,
        *,
        address_failures: int,
        known_for_s: float,
        clock: Clock = time.monotonic,
        pair_store: WindowStore | None = None,
        address_store: WindowStore | None = None,
        known: KnownLogins | None = None,
    ) -> None:
        self.failures = failures
        self.address_failures = address_failures
        self.duration_s = duration_s
        self.known_for_s = known_for_s
        self._clock = clock
        self.pairs = SlidingWindowLimiter(
            failures, window_s, lockout_s=duration_s, clock=clock, store=pair_store
        )
        self.addresses = SlidingWindowLimiter(
            address_failures, window_s, lockout_s=duration_s, clock=clock, store=address_store
        )
        self.known: KnownLogins = known if known is not None else MemoryKnownLogins()

    @classmethod
    def for_settings(cls, settings: Settings, *, shared: bool = False) -> LoginBan:
        """This process's ban; ``shared``: the one all workers keep in the shared file. With a
        PostgreSQL catalog, the one every node keeps in the catalog (`core.catalog.shared_limits`),
        whatever ``shared`` says."""
        ingest = settings.ingest
        pair_store: WindowStore | None = None
        address_store: WindowStore | None = None
        known: KnownLogins | None = None
        clock: Clock = time.monotonic
        cluster = shared_limits(settings.storage.catalog_path)
        if cluster is not None:
            # A PostgreSQL catalog: every node (and every worker) counts into its tables.
            pair_store = cluster.window(LOGIN_FAILURES)
            address_store = cluster.window(ADDRESS_FAILURES)
            known = cluster.known_logins()
            clock = time.time  # wall-clock time: the same on every node
        elif shared:
            pair_store = login_failures_store(settings)
            address_store = address_failures_store(settings)
            known = known_logins_store(settings)
            clock = time.time  # wall-clock time: the same in every process
        return cls(
            ingest.ban_after_failures,
            ingest.ban_window_s,
            ingest.ban_duration_s,
            address_failures=ingest.ban_address_after_failures,
            known_for_s=ingest.known_login_days * DAY_S,
            clock=clock,
            pair_store=pair_store,
            address_store=address_store,
            known=known,
        )

    def refuses(self, address: str, username: str) -> bool:
        """Whether a login as ``username`` from ``address`` is refused before any check."""
        account = account_key(username)
        if self.pairs.is_blocked(_pair(address, account)):
            return True
        return self.addresses.is_blocked(address) and not self.known.is_known(
            address, account, self._clock()
        )

    def address_is_closed(self, address: str) -> bool:
        """Whether ``address`` may be turned away before it names an account: capped, and no
        camera it may carry has ever logged in from it."""
        return self.addresses.is_blocked(address) and not self.known.any_known(
            address, self._clock()
        )

    def record_failure(self, address: str, username: str) -> None:
        """Count a failed login; each ban it starts is logged once (shortened address only)."""
        if self.pairs.record(_pair(address, account_key(username))):
            logger.warning(
                "login ban: one account from %s refused for %d s after %d failed logins",
                shorten_address(address),
                self.duration_s,
                self.failures,
            )
        if self.addresses.record(address):
            logger.warning(
                "login ban: %s refused for %d s after %d failed logins to any account"
                " (cameras known to log in from there still may)",
                shorten_address(address),
                self.duration_s,
                self.address_failures,
            )

    def record_success(self, address: str, username: str) -> None:
        """A right login: the pair's failures are forgotten and the pair becomes known.

        The address's count stays: an attacker's own camera must not reset it between guesses
        at other accounts.
        """
        account = account_key(username)
        self.pairs.reset(_pair(address, account))
        now = self._clock()
        self.known.remember(address, account, now + self.known_for_s, now)

    def close(self) -> None:
        self.pairs.close()
        self.addresses.close()
        self.known.close()
