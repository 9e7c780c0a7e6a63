"""The web UI's login limits and the API's rate limits on a PostgreSQL catalog: one count for
every web node."""

from __future__ import annotations

import pytest

from core.catalog.shared_limits import shared_limits
from webui.api.token_auth import ApiLimiters
from webui.login_limits import LoginLimiter

on_postgresql = pytest.mark.parametrize("catalog_engine", ["postgresql"], indirect=True)


@on_postgresql
def test_failed_web_logins_on_two_nodes_block_the_account_on_both(settings):
    url = settings.storage.catalog_path
    node_a = LoginLimiter(3, 20, 20, 60, shared=shared_limits(url))
    node_b = LoginLimiter(3, 20, 20, 60, shared=shared_limits(url))
    node_a.record_failure("owner@example.com", "203.0.113.0")
    node_b.record_failure("owner@example.com", "203.0.113.0")
    assert not node_a.is_blocked("owner@example.com", "203.0.113.0")
    node_b.record_failure("owner@example.com", "203.0.113.0")
    assert node_a.is_blocked("owner@example.com", "203.0.113.0")
    assert not node_a.is_blocked("owner@example.com", "192.0.2.0")
    node_a.per_address.close()
    node_b.per_address.close()


@on_postgresql
def test_api_calls_through_two_nodes_share_one_limit(settings):
    url = settings.storage.catalog_path
    node_a = ApiLimiters(4, 2, 2, shared=shared_limits(url))
    node_b = ApiLimiters(4, 2, 2, shared=shared_limits(url))
    assert node_a.calls.hit("token:7").allowed
    assert node_b.calls.hit("token:7").allowed
    assert node_a.calls.hit("token:7").allowed
    last = node_b.calls.hit("token:7")
    assert last.allowed and last.remaining == 0
    refused = node_a.calls.hit("token:7")
    assert not refused.allowed and refused.retry_after_s >= 1
    assert node_b.calls.hit("token:8").allowed
    node_a.calls.close()
    node_b.calls.close()


@pytest.mark.parametrize("catalog_engine", ["sqlite"], indirect=True)
def test_on_sqlite_the_web_limits_stay_in_the_process(settings):
    assert shared_limits(settings.storage.catalog_path) is None
