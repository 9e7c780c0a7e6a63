"""Hands results from worker threads back to pyftpdlib's I/O loop, which is not thread-safe.

A socketpair wakes the loop; the callbacks then run in the loop's own thread. This is how a
password check (argon2, ~50 ms) runs off the loop, and how another thread asks the loop to stop.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import socket
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from pyftpdlib.ioloop import AsyncChat

logger = logging.getLogger(__name__)


class LoopBridge(AsyncChat):
    """Runs callables in the I/O loop's thread, when asked from any thread."""

    def __init__(self, ioloop) -> None:
        self._wake_reader, self._wake_writer = socket.socketpair()
        self._wake_reader.setblocking(False)
        self._wake_writer.setblocking(False)
        self._pending: collections.deque[tuple[Callable[..., Any], tuple]] = collections.deque()
        self._lock = threading.Lock()
        super().__init__(self._wake_reader, ioloop=ioloop)

    def call_soon(self, function: Callable[..., Any], *args: Any) -> None:
        """Run ``function(*args)`` in the loop's thread as soon as it wakes."""
        with self._lock:
            self._pending.append((function, args))
        # Full buffer: the loop has wake-ups queued already. Closed: the loop is gone.
        with contextlib.suppress(BlockingIOError, OSError):
            self._wake_writer.send(b"\0")

    def when_done(self, future: Future, callback: Callable[[Future], Any]) -> None:
        """Call ``callback(future)`` in the loop's thread once ``future`` finishes."""
        future.add_done_callback(lambda done: self.call_soon(callback, done))

    # --- dispatcher side

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def handle_read(self) -> None:
        try:
            while self._wake_reader.recv(4096):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        while True:
            with self._lock:
                if not self._pending:
                    return
                function, args = self._pending.popleft()
            try:
                function(*args)
            except Exception:
                logger.exception("callback in the FTP I/O loop failed")

    handle_read_event = handle_read

    def close(self) -> None:
        super().close()
        self._wake_writer.close()
