"""Per-request access to the settings, the catalog and the clip files."""

from __future__ import annotations

import sqlite_utils
from flask import current_app, g

from core.catalog import open_catalog
from core.clipstore import ClipStore
from core.settings import Settings


def get_settings() -> Settings:
    return current_app.config["SETTINGS"]


def get_db() -> sqlite_utils.Database:
    """The catalog for this request, opened on first use and closed on teardown (on
    PostgreSQL borrowed from the process's pool and given back)."""
    if "db" not in g:
        storage = get_settings().storage
        g.db = open_catalog(
            storage.catalog_path, migrate=False, pool_size=storage.catalog_pool_size
        )
    return g.db


def close_db(error: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def get_clipstore() -> ClipStore:
    """The one place clip and thumbnail files are resolved (inside their configured roots)."""
    # One per app: with a bucket it holds the S3 client (thread-safe, slow to make).
    store = current_app.extensions.get("alarmvault_clipstore")
    if store is None:
        store = current_app.extensions["alarmvault_clipstore"] = ClipStore(get_settings().storage)
    return store
