"""Probe clips in a separate, long-lived process.

Uploads come from the internet; a malformed file can make a decoder hang or crash. Probing in a
child process keeps the daemon alive: a crash or a time-out costs one restart of the child and
the upload is rejected as ``undecodable`` with the reason, never a dead pipeline.

The answer carries the probe's packet table too (`ClipProbe.to_wire`), so that the daemon side
can plan from the demuxed packets without demuxing the file again.

The child reads one JSON request per line on stdin and answers one JSON line on stdout.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import resource
import selectors
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pipeline.media.probe import ClipProbe, probe_clip

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 30.0
# A decoder fed a hostile file must not take the whole NAS's memory with it.
CHILD_MEMORY_LIMIT = 2 * 1024**3


@dataclass(frozen=True)
class ProbeChild:
    """The probe process and the two pipes the daemon talks to it over."""

    process: subprocess.Popen[bytes]
    requests: IO[bytes]  # its stdin
    answers: IO[bytes]  # its stdout

    @classmethod
    def start(cls) -> ProbeChild:
        env = {**os.environ, "AV_LOG_FORCE_NOCOLOR": "1"}
        process = subprocess.Popen(
            [sys.executable, "-m", "pipeline.media.probe_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        if process.stdin is None or process.stdout is None:  # PIPE always gives both
            raise RuntimeError("the probe child was started without its pipes")
        return cls(process, process.stdin, process.stdout)


class IsolatedProbe:
    """`probe(path)` like `probe_clip`, but in a child process with a time limit."""

    def __init__(self, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self._child: ProbeChild | None = None
        self._lock = threading.Lock()

    def probe(self, path: Path) -> ClipProbe:
        with self._lock:
            child = self._ensure_child()
            request = json.dumps({"path": str(path)}) + "\n"
            try:
                child.requests.write(request.encode())
                child.requests.flush()
                line = self._read_line(child)
            except (BrokenPipeError, OSError):
                line = None
            if line is None:
                reason = "crashed" if self._exited(child) else "timed out"
                self._kill_child()
                logger.warning("probe child %s on %s; restarted", reason, path.name)
                return ClipProbe(error=f"decoder {reason} while probing")
            return ClipProbe.from_wire(json.loads(line))

    def close(self) -> None:
        with self._lock:
            self._kill_child()

    def _ensure_child(self) -> ProbeChild:
        if self._child is None or self._child.process.poll() is not None:
            self._child = ProbeChild.start()
        return self._child

    def _read_line(self, child: ProbeChild) -> bytes | None:
        with selectors.DefaultSelector() as selector:
            selector.register(child.answers, selectors.EVENT_READ)
            if not selector.select(self.timeout_s):
                return None
        line = child.answers.readline()
        return line or None

    @staticmethod
    def _exited(child: ProbeChild) -> bool:
        """Did the child die? Its stdout closed, but it may not be reaped yet: wait briefly."""
        try:
            child.process.wait(timeout=1)
        except subprocess.TimeoutExpired:
            return False
        return True

    def _kill_child(self) -> None:
        if self._child is not None:
            if self._child.process.poll() is None:
                self._child.process.kill()
            self._child.process.wait()
            self._child.requests.close()
            self._child.answers.close()
            self._child = None

    def __enter__(self) -> IsolatedProbe:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve() -> None:
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_LIMIT, CHILD_MEMORY_LIMIT))
    for line in sys.stdin:
        request = json.loads(line)
        try:
            result = probe_clip(Path(request["path"])).to_wire()
        except Exception as error:
            result = ClipProbe(error=f"probe failed: {type(error).__name__}: {error}").to_wire()
        sys.stdout.write(json.dumps(result, default=str) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
