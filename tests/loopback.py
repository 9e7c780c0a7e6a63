"""Loopback ports for the servers that tests and the scripts under scripts/ start, and waiting
until such a server listens. Plain functions without pytest, so the scripts share them."""

from __future__ import annotations

import random
import socket
import subprocess
import time
from collections import deque
from pathlib import Path

# Ports for the servers tests start come from below the kernel's ephemeral range. A port the
# kernel hands out for bind(0) is free at that moment only: until the server binds it later
# (often in another process), the kernel may give the same port to any outgoing connection as
# its source port, and a readiness poll that connects to the not-yet-listening port can even
# connect to itself (TCP simultaneous open), after which the server cannot bind. Ports below
# the ephemeral range are never picked by the kernel, so only a bind can take them.
_PORT_FLOOR = 10_000
_RECENT_PORTS: deque[int] = deque(maxlen=2_000)  # never hand out a port twice in a short while
_PORT_RANDOM = random.Random()  # own generator: tests that seed `random` do not repeat ports


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999  # Linux's default


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_range(size: int = 20) -> tuple[int, int]:
    """``size`` consecutive loopback ports that are free now, outside the ephemeral range, and
    not handed out recently (for servers a test starts, and FTP passive mode)."""
    ephemeral_low, ephemeral_high = _ephemeral_range()
    spans = [
        (low, high)
        for low, high in ((_PORT_FLOOR, ephemeral_low - 1), (ephemeral_high + 1, 65535))
        if high - low + 1 >= size * 50
    ]
    spans = spans or [(_PORT_FLOOR, 65535)]  # an ephemeral range that leaves no room
    widths = [high - low + 1 for low, high in spans]
    for _ in range(200):
        [(span_low, span_high)] = _PORT_RANDOM.choices(spans, weights=widths)
        low = _PORT_RANDOM.randint(span_low, span_high - size + 1)
        ports = range(low, low + size)
        if any(port in _RECENT_PORTS for port in ports):
            continue
        if all(_bindable(port) for port in ports):
            _RECENT_PORTS.extend(ports)
            return low, low + size - 1
    raise RuntimeError("no free port range")


def free_port() -> int:
    """A loopback port that is free now (see `free_port_range`)."""
    return free_port_range(1)[0]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts connections on ``host:port`` now."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_listening(
    process: subprocess.Popen,
    ports: list[int] | tuple[int, ...],
    what: str,
    log: Path | None = None,
    timeout: float = 90.0,
    host: str = "127.0.0.1",
) -> None:
    """Return once ``process`` listens on every one of ``ports`` of ``host``; raise RuntimeError
    saying why not (it exited, or it took longer than ``timeout`` s), with the end of its log."""
    deadline = time.monotonic() + timeout
    waiting = list(ports)
    while waiting:
        if process.poll() is not None:
            problem = f"{what} exited with status {process.returncode} while starting"
            break
        if port_open(waiting[0], host):
            waiting.pop(0)
            continue
        if time.monotonic() > deadline:
            problem = f"{what} did not listen on port {waiting[0]} within {timeout:.0f} s"
            break
        time.sleep(0.1)
    else:
        return
    if log is not None and log.exists():
        problem += "; the end of its log:\n" + log.read_text(errors="replace")[-4000:]
    raise RuntimeError(problem)
