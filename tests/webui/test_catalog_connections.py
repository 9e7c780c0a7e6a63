"""The web UI on a PostgreSQL catalog: requests borrow pooled connections, so a request
starts no server process, and each gives its connection back clean."""

from __future__ import annotations

import pytest
from flask import g

from core.catalog import Dialect


def _backends(catalog, database: str) -> dict[int, tuple[object, str]]:
    """Server processes on the test's database besides ``catalog``'s: pid → (start, state)."""
    return {
        pid: (started, state)
        for pid, started, state in catalog.execute(
            "SELECT pid, backend_start, state FROM pg_stat_activity"
            " WHERE datname = ? AND pid != pg_backend_pid()",
            [database],
        )
    }


@pytest.mark.parametrize("catalog_engine", [Dialect.POSTGRESQL], indirect=True, ids=str)
def test_web_requests_reuse_pooled_connections_instead_of_starting_a_backend_each(
    app, client, auth, make_user, make_camera, catalog, settings
):
    served_by: list[int] = []

    @app.after_request
    def note_backend(response):
        if "db" in g:
            served_by.append(g.db.pg.info.backend_pid)
        return response

    owner = make_user()
    make_camera(owner=owner)
    auth.login_as(owner)
    served_by.clear()

    for path in ["/dashboard", "/recordings", "/cameras", "/account"] * 5:
        assert client.get(path).status_code == 200, path

    assert len(served_by) == 20
    # A handful of server processes served the 20 requests, and they all still run: each
    # request borrowed one instead of having PostgreSQL fork a new backend for it.
    assert len(set(served_by)) <= settings.storage.catalog_pool_size
    alive = _backends(catalog, catalog.pg.info.dbname)
    assert set(served_by) <= set(alive)
    assert "idle in transaction" not in {state for _, state in alive.values()}
