"""Login bans and rate limits on a PostgreSQL catalog are one count for every node: each node
builds its own ban or limiter (its own connection), and what one counts the others refuse."""

from __future__ import annotations

import threading

import pytest

from core.catalog.shared_limits import CatalogWindowStore, shared_limits
from core.sliding_window import MemoryWindowStore, SlidingWindowLimiter, SqliteWindowStore
from ingestd.login_ban import LoginBan, MemoryKnownLogins
from ingestd.shared_state import SqliteKnownLogins, reset_shared_state

on_postgresql = pytest.mark.parametrize("catalog_engine", ["postgresql"], indirect=True)
on_sqlite = pytest.mark.parametrize("catalog_engine", ["sqlite"], indirect=True)

ADDRESS = "198.51.100.7"


@pytest.fixture
def strict_settings(settings):
    settings.ingest.ban_after_failures = 3
    settings.ingest.ban_address_after_failures = 5
    return settings


@pytest.fixture
def two_nodes(strict_settings):
    """The ban of two ingest nodes on one catalog, each with its own connection."""
    node_a = LoginBan.for_settings(strict_settings)
    node_b = LoginBan.for_settings(strict_settings)
    yield node_a, node_b
    node_a.close()
    node_b.close()


@on_postgresql
def test_failures_on_two_nodes_add_up_to_one_ban(two_nodes):
    node_a, node_b = two_nodes
    assert isinstance(node_a.pairs.store, CatalogWindowStore)
    node_a.record_failure(ADDRESS, "cam1")
    node_b.record_failure(ADDRESS, "cam1")
    assert not node_a.refuses(ADDRESS, "cam1")
    assert not node_b.refuses(ADDRESS, "cam1")
    node_a.record_failure(ADDRESS, "cam1")  # the third, through node A
    assert node_b.refuses(ADDRESS, "cam1")
    assert node_a.refuses(ADDRESS, "cam1")
    assert not node_b.refuses(ADDRESS, "cam2")


@on_postgresql
def test_an_address_closed_through_one_node_is_closed_on_the_other(two_nodes):
    node_a, node_b = two_nodes
    for account in ("a1", "a2", "a3", "a4", "a5"):
        node_a.record_failure(ADDRESS, account)
    assert node_b.address_is_closed(ADDRESS)
    assert node_b.refuses(ADDRESS, "someone-else")


@on_postgresql
def test_a_camera_known_through_one_node_passes_the_address_cap_on_the_other(two_nodes):
    node_a, node_b = two_nodes
    node_a.record_success(ADDRESS, "camera-at-home")
    for account in ("a1", "a2", "a3", "a4", "a5"):
        node_b.record_failure(ADDRESS, account)
    assert not node_b.address_is_closed(ADDRESS)
    assert not node_b.refuses(ADDRESS, "camera-at-home")
    assert node_b.refuses(ADDRESS, "a-stranger")


@on_postgresql
def test_a_right_login_on_one_node_forgets_the_pairs_failures_on_the_other(two_nodes):
    node_a, node_b = two_nodes
    node_a.record_failure(ADDRESS, "cam1")
    node_a.record_failure(ADDRESS, "cam1")
    node_b.record_success(ADDRESS, "cam1")
    node_a.record_failure(ADDRESS, "cam1")
    assert not node_a.refuses(ADDRESS, "cam1")


@on_postgresql
def test_nodes_hitting_at_once_never_pass_more_than_the_limit(settings):
    """Two nodes, four threads each, all after the same key's last slots: the catalog's
    advisory lock lets exactly ``limit`` calls through."""
    nodes = [shared_limits(settings.storage.catalog_path) for _ in range(2)]
    limiters = [
        SlidingWindowLimiter(10, 60, store=node.window("api_calls"))
        for node in nodes
        if node is not None
    ]
    allowed: list[bool] = []
    allowed_lock = threading.Lock()

    def caller(limiter: SlidingWindowLimiter) -> None:
        for _ in range(5):
            verdict = limiter.hit("token:1")
            with allowed_lock:
                allowed.append(verdict.allowed)

    threads = [threading.Thread(target=caller, args=(lim,)) for lim in limiters for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for limiter in limiters:
        limiter.close()
    assert len(allowed) == 40
    assert allowed.count(True) == 10


@on_sqlite
def test_on_sqlite_the_ban_stays_in_the_process_or_the_workers_file(strict_settings):
    assert shared_limits(strict_settings.storage.catalog_path) is None
    alone = LoginBan.for_settings(strict_settings)
    assert isinstance(alone.pairs.store, MemoryWindowStore)
    assert isinstance(alone.known, MemoryKnownLogins)
    alone.close()
    reset_shared_state(strict_settings)
    workers = LoginBan.for_settings(strict_settings, shared=True)
    assert isinstance(workers.pairs.store, SqliteWindowStore)
    assert isinstance(workers.known, SqliteKnownLogins)
    for _ in range(3):
        workers.record_failure(ADDRESS, "cam1")
    assert workers.refuses(ADDRESS, "cam1")
    workers.close()
