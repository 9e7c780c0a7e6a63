"""Short fuzz run (the long one is scripts/fuzz-probe): damaged MP4/AVI files never crash or
hang the probe; each is either a valid probe or an error with a reason."""

from __future__ import annotations

import os
import random
import signal
import threading
import time

import pytest

from pipeline.media.mutations import mutate
from pipeline.media.probe_worker import IsolatedProbe
from pipeline.media.sniff import sniff_container

TIME_LIMIT_S = 10.0


@pytest.fixture(scope="module")
def seeds(clip_factory):
    return [
        clip_factory(seconds=2, width=320, height=180, fps=10, keyframe_s=1),
        clip_factory(
            seconds=2,
            width=320,
            height=180,
            fps=10,
            keyframe_s=1,
            container_format="avi",
        ),
        clip_factory(
            seconds=2,
            width=320,
            height=180,
            fps=10,
            codec="mjpeg",
            container_format="avi",
        ),
    ]


def test_mutated_clips_are_probed_or_rejected_with_a_reason(seeds, tmp_path):
    rng = random.Random(20261125)
    outcomes = {"ok": 0, "error": 0}
    with IsolatedProbe(timeout_s=TIME_LIMIT_S) as probe:
        for number in range(150):
            seed = seeds[number % len(seeds)]
            damaged = tmp_path / f"damaged-{number}.bin"
            damaged.write_bytes(mutate(seed.read_bytes(), rng))
            sniff_container(damaged.read_bytes()[:64])
            started = time.monotonic()
            result = probe.probe(damaged)
            assert time.monotonic() - started < TIME_LIMIT_S + 2
            if result.ok:
                assert result.width > 0 and result.frame_count > 0
                outcomes["ok"] += 1
            else:
                assert result.error
                # Contained by the child process, but a crash or hang is still a finding.
                assert "crashed" not in result.error and "timed out" not in result.error, (
                    result.error
                )
                # probe_clip never raises for bad input: "probe failed" is an escaped exception.
                assert not result.error.startswith("probe failed"), result.error
                outcomes["error"] += 1
            damaged.unlink()
    assert outcomes["error"] > 0


def test_a_hanging_probe_child_times_out_and_is_replaced(seeds):
    with IsolatedProbe(timeout_s=1) as probe:
        assert probe.probe(seeds[0]).ok
        os.kill(probe._child.process.pid, signal.SIGSTOP)  # a decoder stuck in a loop
        result = probe.probe(seeds[0])
        assert not result.ok and "timed out" in result.error
        assert probe.probe(seeds[0]).ok


def test_a_probe_child_crashing_mid_request_is_replaced(seeds):
    with IsolatedProbe(timeout_s=10) as probe:
        assert probe.probe(seeds[0]).ok
        child = probe._child.process
        os.kill(child.pid, signal.SIGSTOP)
        # The child dies while our request waits on it, as on a decoder segfault.
        killer = threading.Timer(0.3, os.kill, (child.pid, signal.SIGKILL))
        killer.start()
        result = probe.probe(seeds[0])
        killer.join()
        assert not result.ok and "crashed" in result.error
        assert probe.probe(seeds[0]).ok
