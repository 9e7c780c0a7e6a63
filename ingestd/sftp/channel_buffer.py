"""A channel receive buffer that does not copy an upload around.

paramiko keeps what arrives on a channel in one ``array`` and, on every read, copies the part
read out *and* moves everything behind it to the front (``del buffer[:n]``). The SFTP subsystem
reads each request in two steps (4 length bytes, then the body), and with the big window uploads
need (docs/cameras.md, Upload speed) megabytes wait in that array: every read then moves them
all. With several cameras per process the readers fall behind, the array grows and the server
spends its time in ``memmove`` — the "big window alone is a trap" effect.

`ChunkedPipe` keeps the received packets as they came, in a queue: a read hands out whole
packets without copying and never moves what stays. It is a `BufferedPipe` (same lock,
condition, event and close rules); only the storage differs.
"""

from __future__ import annotations

import time
from collections import deque

from paramiko import Channel
from paramiko.buffered_pipe import BufferedPipe, PipeTimeout


class ChunkedPipe(BufferedPipe):
    """`BufferedPipe` storing a queue of received chunks instead of one array."""

    def __init__(self) -> None:
        super().__init__()
        self._chunks: deque[bytes] = deque()
        self._offset = 0  # bytes of the first chunk already read
        self._size = 0

    # --- storage (the base class's lock is held by the callers below)

    def _take(self, nbytes: int) -> bytes:
        """Up to ``nbytes`` from the front; whole chunks are handed out as they are."""
        chunks = self._chunks
        parts = []
        wanted = nbytes
        while wanted > 0 and chunks:
            first = chunks[0]
            if self._offset == 0 and len(first) <= wanted:
                parts.append(chunks.popleft())
                wanted -= len(first)
            else:
                part = self._take_part(wanted)
                parts.append(part)
                wanted -= len(part)
        self._size -= nbytes - wanted
        if len(parts) == 1:
            return parts[0]  # the common case: one whole SSH packet, no copy
        return b"".join(parts)

    def _take_part(self, nbytes: int) -> bytes:
        """Up to ``nbytes`` from the first chunk, which is not taken whole."""
        first = self._chunks[0]
        start = self._offset
        end = min(len(first), start + nbytes)
        part = first[start:end]
        if end == len(first):
            self._chunks.popleft()
            self._offset = 0
        else:
            self._offset = end
        return part

    # --- BufferedPipe's interface

    def set_event(self, event) -> None:
        with self._lock:
            self._event = event
            if self._closed or self._size > 0:
                event.set()
            else:
                event.clear()

    def feed(self, data) -> None:
        if not data:
            return
        if not isinstance(data, bytes):
            data = bytes(data)
        with self._lock:
            if self._event is not None:
                self._event.set()
            self._chunks.append(data)
            self._size += len(data)
            self._cv.notify_all()

    def read_ready(self) -> bool:
        with self._lock:
            return self._size > 0

    def read(self, nbytes: int, timeout: float | None = None) -> bytes:
        with self._lock:
            if self._size == 0:
                if self._closed:
                    return b""
                if timeout == 0.0:
                    raise PipeTimeout()
                while self._size == 0 and not self._closed:
                    then = time.time()
                    self._cv.wait(timeout)
                    if timeout is not None:
                        timeout -= time.time() - then
                        if timeout <= 0.0:
                            raise PipeTimeout()
                if self._size == 0:
                    return b""
            out = self._take(max(0, nbytes))
            if self._size == 0 and self._event is not None and not self._closed:
                self._event.clear()
            return out

    def empty(self) -> bytes:
        with self._lock:
            out = self._take(self._size)
            if self._event is not None and not self._closed:
                self._event.clear()
            return out

    def __len__(self) -> int:
        with self._lock:
            return self._size


def use_chunked_buffer(channel: Channel) -> None:
    """Give ``channel`` a `ChunkedPipe`; anything already received moves over in order."""
    old = channel.in_buffer
    if isinstance(old, ChunkedPipe):
        return
    new = ChunkedPipe()
    with old._lock:
        pending = old._buffer_tobytes()
        del old._buffer[:]
        if pending:
            new.feed(pending)
        if old._closed:
            new.close()
        if old._event is not None:
            new.set_event(old._event)
        channel.in_buffer = new
