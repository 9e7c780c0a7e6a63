"""The one sliding-window limiter: pure, with a hand-driven clock and the in-memory store."""

from __future__ import annotations

import pytest

from core.sliding_window import MemoryWindowStore, SlidingWindowLimiter, WindowVerdict


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_hit_allows_the_limit_then_refuses_until_the_oldest_call_leaves(clock):
    limiter = SlidingWindowLimiter(2, 60, clock=clock)
    assert limiter.hit("token:1") == WindowVerdict(True, 2, 1, 0)
    clock.now += 10
    assert limiter.hit("token:1") == WindowVerdict(True, 2, 0, 0)
    clock.now += 5
    assert limiter.hit("token:1") == WindowVerdict(False, 2, 0, 45)
    assert limiter.hit("token:2").allowed  # another key has its own window
    clock.now += 45  # the first call is exactly window_s old: it no longer counts
    assert limiter.hit("token:1") == WindowVerdict(True, 2, 0, 0)


def test_a_refused_hit_does_not_count(clock):
    limiter = SlidingWindowLimiter(1, 60, clock=clock)
    assert limiter.hit("k").allowed
    for _ in range(5):
        clock.now += 10
        assert not limiter.hit("k").allowed
    clock.now += 10.5  # 60.5 s after the only counted call
    assert limiter.hit("k").allowed


def test_retry_after_is_at_least_one_second(clock):
    limiter = SlidingWindowLimiter(1, 60, clock=clock)
    limiter.hit("k")
    clock.now += 59.9
    assert limiter.hit("k").retry_after_s == 1


def test_record_counts_even_when_full_and_blocks_without_a_lockout(clock):
    limiter = SlidingWindowLimiter(2, 60, clock=clock)
    assert limiter.record("a") is False
    assert not limiter.is_blocked("a")
    assert limiter.record("a") is True  # fills the window
    assert limiter.is_blocked("a")
    assert limiter.record("a") is True  # counted all the same
    clock.now += 60
    assert not limiter.is_blocked("a")


def test_reset_forgets_a_keys_events_only(clock):
    limiter = SlidingWindowLimiter(2, 60, clock=clock)
    limiter.record("a")
    limiter.record("b")
    limiter.reset("a")
    assert limiter.record("a") is False
    assert limiter.record("b") is True


def test_the_event_that_fills_the_window_starts_a_lockout(clock):
    limiter = SlidingWindowLimiter(3, 60, lockout_s=300, clock=clock)
    assert [limiter.record("192.0.2.1") for _ in range(3)] == [False, False, True]
    assert limiter.is_blocked("192.0.2.1")
    assert not limiter.is_blocked("192.0.2.2")
    # Events of a locked-out key are not counted and start no second lockout.
    clock.now += 200
    assert limiter.record("192.0.2.1") is False
    clock.now += 100  # 300 s after the lockout began
    assert not limiter.is_blocked("192.0.2.1")
    # The count starts again from nothing.
    assert [limiter.record("192.0.2.1") for _ in range(3)] == [False, False, True]


def test_failures_older_than_the_window_do_not_add_up_to_a_lockout(clock):
    limiter = SlidingWindowLimiter(3, 60, lockout_s=300, clock=clock)
    limiter.record("k")
    clock.now += 61
    assert limiter.record("k") is False
    assert limiter.record("k") is False
    assert not limiter.is_blocked("k")
    assert limiter.record("k") is True


def test_hit_on_a_locked_out_key_says_when_the_lockout_ends(clock):
    limiter = SlidingWindowLimiter(1, 60, lockout_s=300, clock=clock)
    assert limiter.record("k") is True
    clock.now += 100
    assert limiter.hit("k") == WindowVerdict(False, 1, 0, 200)


def test_reset_leaves_a_running_lockout(clock):
    limiter = SlidingWindowLimiter(1, 60, lockout_s=300, clock=clock)
    limiter.record("k")
    limiter.reset("k")
    assert limiter.is_blocked("k")


def test_memory_stays_bounded_when_many_keys_come_once(clock):
    store = MemoryWindowStore()
    limiter = SlidingWindowLimiter(5, 60, lockout_s=300, clock=clock, store=store)
    for number in range(1000):
        limiter.record(f"198.51.100.{number}")
    clock.now += 61
    limiter.record("203.0.113.1")
    assert store.count("198.51.100.1", clock.now - 1e9) == 0
    assert len(store._events) == 1


def test_a_window_needs_a_limit_and_a_length():
    with pytest.raises(ValueError):
        SlidingWindowLimiter(0, 60)
    with pytest.raises(ValueError):
        SlidingWindowLimiter(1, 0)
