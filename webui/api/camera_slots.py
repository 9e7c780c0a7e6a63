"""How many camera calls may run at once: per account, and for the whole web server.

A camera call (a relayed live stream above all, but also a snapshot or a command to a slow
camera) holds one of waitress' worker threads for as long as it runs. Without a bound one
account could take every thread with live streams and nobody could even log in. So camera calls
hold a slot: at most ``[api] camera_calls_per_account`` per account and ``camera_call_threads``
in all, never more than ``[web] threads`` - 2, so pages always keep threads of their own. A slot
is given back when the answer is done, which for a streamed answer is when the stream ends.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable

from flask import Response, current_app, make_response
from flask.typing import ResponseReturnValue

from core.settings import Settings
from webui.api.errors import fail
from webui.db import get_settings

logger = logging.getLogger(__name__)

PAGE_THREADS_KEPT = 2
RETRY_AFTER_S = "5"


class CameraCallSlots:
    """Counts running camera calls; ``take`` refuses beyond the account's or the server's share."""

    def __init__(self, total: int, per_account: int) -> None:
        self.total = total
        self.per_account = per_account
        self._lock = threading.Lock()
        self._running: Counter[int] = Counter()

    @classmethod
    def from_settings(cls, settings: Settings) -> CameraCallSlots:
        threads_for_calls = settings.web.threads - PAGE_THREADS_KEPT
        total = max(1, min(settings.api.camera_call_threads, threads_for_calls))
        return cls(total, settings.api.camera_calls_per_account)

    def take(self, account_id: int) -> bool | None:
        """True: taken. False: the account has all its slots. None: the server has none left."""
        with self._lock:
            if self._running[account_id] >= self.per_account:
                return False
            if self._running.total() >= self.total:
                return None
            self._running[account_id] += 1
            return True

    def give_back(self, account_id: int) -> None:
        with self._lock:
            self._running[account_id] -= 1
            if self._running[account_id] <= 0:
                del self._running[account_id]

    def running(self) -> int:
        with self._lock:
            return self._running.total()


def camera_call_slots() -> CameraCallSlots:
    found = current_app.extensions.get("alarmvault_camera_call_slots")
    if found is None:
        found = current_app.extensions.setdefault(
            "alarmvault_camera_call_slots", CameraCallSlots.from_settings(get_settings())
        )
    return found


def within_camera_call_slot(account_id: int, answer: Callable[[], ResponseReturnValue]) -> Response:
    """``answer()`` while holding one of the account's slots; ApiError 429 (the account has all
    its slots) or 503 (the server has none left). A streamed answer keeps the slot until the
    stream is closed (it ended, hit its deadline, or the client went away)."""
    slots = camera_call_slots()
    taken = slots.take(account_id)
    if taken is False:
        fail(
            429,
            "too_many_camera_calls",
            "this account already has as many camera calls (live views, snapshots) running as "
            "it may; end one first",
            {"Retry-After": RETRY_AFTER_S},
        )
    if taken is None:
        logger.warning("camera calls: all %d slots busy", slots.total)
        fail(
            503,
            "camera_calls_busy",
            "the server is relaying as many camera calls as it can; try again shortly",
            {"Retry-After": RETRY_AFTER_S},
        )
    slot = _Slot(slots, account_id)
    try:
        response = make_response(answer())
    except BaseException:
        slot.give_back()
        raise
    if response.is_streamed:
        # Werkzeug calls this when the server closes the answer's iterator: waitress does so at
        # its end and when the client went away. (Flask's teardown would run too early: it runs
        # when the view returns, before the first byte is streamed.)
        response.call_on_close(slot.give_back)
    else:
        slot.give_back()
    return response


class _Slot:
    """One taken slot, given back exactly once."""

    def __init__(self, slots: CameraCallSlots, account_id: int) -> None:
        self._slots = slots
        self._account_id = account_id
        self._given_back = False
        self._lock = threading.Lock()

    def give_back(self) -> None:
        with self._lock:
            if self._given_back:
                return
            self._given_back = True
        self._slots.give_back(self._account_id)
