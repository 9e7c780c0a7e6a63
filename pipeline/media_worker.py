"""One isolated media worker process: `ClipMedia` calls, run by `LocalMedia` in a child.

Uploads come from the internet; a malformed file can make a decoder hang, crash or balloon. Each
daemon clip worker owns one child process that does everything touching pixels (probe, poster,
playback copy, detection); the daemon keeps the catalog writes. A child that crashes or runs
past its time limit is killed and replaced, and only the request it was serving fails
(`MediaFailed`). Models load once per child, on its first analysis. A child is replaced by a
fresh one after ``worker_max_tasks`` requests, or when its memory grew past
``worker_max_rss_mb`` — decoders and model runtimes are allowed to leak a little, not forever.

The child is started as ``python -m pipeline.media_worker READ_FD WRITE_FD`` (a fresh
interpreter, not a fork of the threaded daemon) and speaks `multiprocessing.connection`'s framed
pickles over two pipes. The child runs our code with the daemon's user id; the isolation is
against crashes, hangs and memory, not a privilege boundary.
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from core.detection.results import ClipDetections, DetectionSwitches
from core.service import setup_logging
from core.settings import Settings
from core.storage_space import is_out_of_space
from pipeline.clip_media import LocalMedia, MediaFailed
from pipeline.media.probe import ClipProbe
from pipeline.media.still import StillProbe

logger = logging.getLogger(__name__)

# A decoder fed a hostile file must not take the whole NAS's memory with it. Virtual memory,
# not RSS: ONNX Runtime and the codec threads reserve far more than they touch.
CHILD_ADDRESS_SPACE_LIMIT = 6 * 1024**3
STOP_WAIT_S = 5.0
# A fresh worker imports the decoders first; that is not part of any clip's time limit.
START_LIMIT_S = 120.0
# The answer for a write that found the store full: (errno, strerror, filename) follow.
NO_SPACE = "no_space"
OPERATIONS = frozenset({"probe", "probe_still", "poster", "playback_copy", "detect", "load_models"})


@dataclass
class WorkerStats:
    """What the daemon reports about its media workers (status, metrics, benchmark)."""

    tasks: int = 0
    crashes: int = 0
    timeouts: int = 0
    recycled: int = 0
    rss_mb: float = 0.0
    peak_rss_mb: float = 0.0


@dataclass(frozen=True)
class _Child:
    process: subprocess.Popen[bytes]
    requests: Connection
    answers: Connection


class MediaWorker:
    """`ClipMedia` backed by one child process, restarted as needed."""

    def __init__(self, settings: Settings, name: str = "media", *, nice: int = 0) -> None:
        self.settings = settings
        self.name = name
        self.nice = nice
        self.stats = WorkerStats()
        self._child: _Child | None = None
        self._tasks_in_child = 0
        self._lock = threading.Lock()

    # -- ClipMedia ------------------------------------------------------------------------
    def probe(self, clip: Path) -> ClipProbe:
        """A worker that dies while probing gets one more try in a fresh process (it may have
        been killed from outside); dying twice, or hanging, is the file's doing."""
        for tries_left in (1, 0):
            try:
                result: ClipProbe = self._call("probe", (clip,), self._probe_limit_s)
            except MediaFailed as failed:
                if failed.operation != "probe":
                    raise  # our own trouble (no worker started): not the upload's fault
                if failed.reason == "crashed" and tries_left:
                    continue
                # The reason the upload is rejected with (undecodable).
                return ClipProbe(error=f"decoder {failed.reason} while probing")
            return result
        raise AssertionError("unreachable")

    def probe_still(self, still: Path) -> StillProbe:
        """A decoder that crashes or hangs on a snapshot is the file's doing, as for clips."""
        try:
            result: StillProbe = self._call("probe_still", (still,), self._probe_limit_s)
        except MediaFailed as failed:
            if failed.operation != "probe_still":
                raise
            return StillProbe(error=f"decoder {failed.reason}")
        return result

    def poster(self, clip: Path, target: Path) -> bool:
        result: bool = self._call("poster", (clip, target), self._probe_limit_s)
        return result

    def playback_copy(self, relpath: str, probe: dict[str, Any]) -> str | None:
        result: str | None = self._call(
            "playback_copy", (relpath, probe), self.settings.pipeline.analysis_timeout_s
        )
        return result

    def detect(self, relpath: str, switches: DetectionSwitches) -> ClipDetections | None:
        result: ClipDetections | None = self._call(
            "detect", (relpath, switches), self.settings.pipeline.analysis_timeout_s
        )
        return result

    def load_models(self, *, plates: bool) -> None:
        self._call("load_models", (plates,), self.settings.pipeline.analysis_timeout_s)

    # -- the child ------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self._child.process.pid if self._child is not None else None

    @property
    def _probe_limit_s(self) -> float:
        return self.settings.validation.probe_timeout_s

    def _call(self, operation: str, args: tuple[Any, ...], limit_s: float) -> Any:
        with self._lock:
            child = self._ensure_child()
            try:
                child.requests.send((operation, args))
                if not child.answers.poll(limit_s):
                    self.stats.timeouts += 1
                    self._stop_child(kill=True)
                    logger.warning("%s: worker timed out during %s; replaced", self.name, operation)
                    raise MediaFailed(operation, "timed out")
                status, value, rss_mb = child.answers.recv()
            except (EOFError, OSError) as error:
                self.stats.crashes += 1
                self._stop_child(kill=True)
                logger.warning(
                    "%s: worker crashed during %s (%s); replaced", self.name, operation, error
                )
                raise MediaFailed(operation, "crashed") from None
            self._count(rss_mb)
            if status == NO_SPACE:
                raise OSError(*value)  # as in this process: `is_out_of_space` tells it
            if status == "error":
                raise MediaFailed(operation, f"error: {value}")
            return value

    def _count(self, rss_mb: float) -> None:
        self.stats.tasks += 1
        self.stats.rss_mb = rss_mb
        self.stats.peak_rss_mb = max(self.stats.peak_rss_mb, rss_mb)
        self._tasks_in_child += 1
        pipeline = self.settings.pipeline
        if self._tasks_in_child >= pipeline.worker_max_tasks or rss_mb > pipeline.worker_max_rss_mb:
            logger.info(
                "%s: worker replaced after %d tasks at %.0f MB",
                self.name,
                self._tasks_in_child,
                rss_mb,
            )
            self.stats.recycled += 1
            self._stop_child(kill=False)

    def _ensure_child(self) -> _Child:
        if self._child is None or self._child.process.poll() is not None:
            if self._child is not None:
                self._stop_child(kill=True)
            self._child = self._start_child()
            self._tasks_in_child = 0
        return self._child

    def _start_child(self) -> _Child:
        to_child_read, to_child_write = os.pipe()
        from_child_read, from_child_write = os.pipe()
        env = {**os.environ, "OPENCV_LOG_LEVEL": "ERROR", "AV_LOG_FORCE_NOCOLOR": "1"}
        try:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "pipeline.media_worker",
                    str(to_child_read),
                    str(from_child_write),
                    str(self.nice),
                ],
                pass_fds=(to_child_read, from_child_write),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        finally:
            os.close(to_child_read)
            os.close(from_child_write)
        child = _Child(
            process,
            Connection(to_child_write, readable=False),
            Connection(from_child_read, writable=False),
        )
        try:
            child.requests.send(self.settings)
            ready = child.answers.poll(START_LIMIT_S) and child.answers.recv() == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            self._child = child
            self._stop_child(kill=True)
            raise MediaFailed("start", "did not start")
        return child

    def _stop_child(self, *, kill: bool) -> None:
        child, self._child = self._child, None
        if child is None:
            return
        if not kill:
            with contextlib.suppress(OSError):
                child.requests.send(None)  # finish and exit
            try:
                child.process.wait(timeout=STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                kill = True
        if kill and child.process.poll() is None:
            child.process.kill()
        child.process.wait()
        child.requests.close()
        child.answers.close()

    def close(self) -> None:
        with self._lock:
            self._stop_child(kill=False)

    def __enter__(self) -> MediaWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def current_rss_mb() -> float:
    """This process's resident memory now (not the peak: a recycled worker starts afresh)."""
    with open("/proc/self/statm") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 1024**2


def serve(requests: Connection, answers: Connection) -> None:
    """The child's loop: one request, one answer, until the daemon says stop or goes away."""
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(
            resource.RLIMIT_AS, (CHILD_ADDRESS_SPACE_LIMIT, CHILD_ADDRESS_SPACE_LIMIT)
        )
    # The daemon decides when this process ends; a Ctrl-C on `make run` reaches the whole group.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    settings: Settings = requests.recv()
    setup_logging(settings)
    media = LocalMedia(settings)
    answers.send("ready")
    while True:
        try:
            request = requests.recv()
        except EOFError:
            return  # the daemon is gone
        if request is None:
            return
        operation, args = request
        if operation not in OPERATIONS:
            answers.send(("error", f"unknown operation {operation!r}", current_rss_mb()))
            continue
        try:
            value: Any = None
            if operation == "load_models":
                media.load_models(plates=args[0])
            else:
                value = getattr(media, operation)(*args)
        except Exception as error:
            if is_out_of_space(error):
                # Not the clip's fault: the daemon waits for room (`ClipProcessor`) and logs
                # that once, so the errno must cross the pipe.
                no_space = (error.errno, error.strerror, error.filename)
                answers.send((NO_SPACE, no_space, current_rss_mb()))
                continue
            logger.warning("media worker: %s failed: %s", operation, error)
            answers.send(("error", f"{type(error).__name__}: {error}", current_rss_mb()))
            continue
        answers.send(("ok", value, current_rss_mb()))


def main(argv: list[str]) -> None:
    read_fd, write_fd, nice = int(argv[0]), int(argv[1]), int(argv[2])
    if nice:
        os.nice(nice)  # lower priority than the daemon's other work, for good
    serve(Connection(read_fd, writable=False), Connection(write_fd, readable=False))


if __name__ == "__main__":
    main(sys.argv[1:])
