"""Issue 15, item 13: the catalog (addresses, password hashes) is readable by its owner only."""

from __future__ import annotations

import os
import stat

from core.catalog import open_catalog
from core.catalog.users import add_user


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_catalog_and_its_wal_files_are_owner_only_whatever_the_umask(tmp_path):
    path = tmp_path / "data" / "catalog.db"
    old_umask = os.umask(0o022)
    try:
        db = open_catalog(path)
        add_user(db, "someone@example.com", "long enough 1")
        modes = {name: mode_of(tmp_path / "data" / name) for name in os.listdir(path.parent)}
        db.close()
    finally:
        os.umask(old_umask)

    assert modes == {"catalog.db": 0o600, "catalog.db-wal": 0o600, "catalog.db-shm": 0o600}


def test_a_catalog_made_readable_by_an_older_version_is_tightened(tmp_path):
    path = tmp_path / "catalog.db"
    open_catalog(path).close()
    path.chmod(0o644)

    open_catalog(path).close()

    assert mode_of(path) == 0o600
