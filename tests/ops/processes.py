"""Starting the real pipeline daemon for a test and reading its log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class DaemonProcess:
    """``python -m pipeline --config PATH`` with its log in a file."""

    def __init__(self, config: Path, log: Path) -> None:
        self.log = log
        self.handle = log.open("ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("JOURNAL_STREAM", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pipeline", "--config", str(config)],
            cwd=REPO,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            env=env,
        )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, condition: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if self.process.poll() is not None:
                raise AssertionError(f"pipeline exited {self.process.returncode}:\n{self.text()}")
            time.sleep(0.1)
        raise AssertionError(f"timed out; log so far:\n{self.text()}")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.handle.close()
        return self.process.returncode
