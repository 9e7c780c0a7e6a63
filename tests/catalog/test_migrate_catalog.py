"""`alarmvault migrate-catalog --to postgresql://…`: a SQLite install moves to PostgreSQL with
every row and id, and the PostgreSQL catalog goes on where SQLite stopped."""

from __future__ import annotations

import time

import pytest

from cli import main
from core.catalog import open_catalog
from core.catalog.cameras import add_camera
from core.catalog.copy import copy_order
from core.catalog.jobs import claim_job, register_job
from core.catalog.plates import add_known_plate
from core.catalog.shared_limits import shared_limits
from core.catalog.users import add_user
from core.catalog.web_sessions import create_session
from ingestd.login_ban import account_key
from ingestd.shared_state import known_logins_store, reset_shared_state, shared_state_file
from tests.loopback import free_port

pytestmark = pytest.mark.sqlite_only(reason="the move starts from a SQLite install's catalog")


def _fill(catalog, make_user, make_camera, index_recording_row) -> None:
    owner = make_user(email="Owner@Example.com")
    camera = make_camera(owner=owner)
    for labels in (("person",), ("vehicle", "plate"), ()):
        index_recording_row(camera, labels=labels, analysed=bool(labels))
    register_job(catalog, {"upload_id": "waiting-1", "camera_id": camera["id"]})
    claim_job(catalog, "waiting-1", "pipeline@node1:1")
    add_known_plate(catalog, owner["id"], "B-AV 123", "Postman")
    create_session(catalog, owner["id"], network="127.0.0.0", browser="test")
    # The newest account and camera are deleted: their ids must not come back on PostgreSQL.
    gone = make_user()
    add_camera(catalog, gone["id"], "Gone", "IN-8015")
    catalog.execute("DELETE FROM users WHERE id = ?", [gone["id"]])


def _rows(db, table: str) -> list[tuple]:
    return sorted(
        (tuple(sorted(row.items())) for row in db.query(f'SELECT * FROM "{table}"')),  # noqa: S608
        key=repr,
    )


def test_every_row_and_id_moves_to_postgresql_and_new_ids_continue_past_the_old(
    catalog, config_file, postgres_server, make_user, make_camera, index_recording_row, capsys
):
    _fill(catalog, make_user, make_camera, index_recording_row)
    highest_user = catalog.execute(
        "SELECT seq FROM sqlite_sequence WHERE name = 'users'"
    ).fetchone()[0]
    url = postgres_server.empty_database()
    try:
        assert main(["--config", str(config_file), "migrate-catalog", "--to", url]) == 0
        assert "every count verified" in capsys.readouterr().out

        target = open_catalog(url)
        try:
            tables = copy_order(catalog)
            assert {"users", "cameras", "jobs", "recordings", "recording_labels"} <= set(tables)
            for table in tables:
                assert _rows(target, table) == _rows(catalog, table), table
            # Still one account per address whatever the case, and ids never given out twice.
            newcomer = add_user(target, "newcomer@example.com", "correct horse 1")
            assert newcomer["id"] > highest_user
        finally:
            target.close()
    finally:
        postgres_server.drop(url)


def test_a_target_that_holds_rows_is_refused_and_left_as_it_was(
    catalog, config_file, postgres_server, make_user, capsys
):
    make_user()
    url = postgres_server.fresh_database()
    try:
        target = open_catalog(url)
        add_user(target, "already@example.com", "correct horse 1")
        assert main(["--config", str(config_file), "migrate-catalog", "--to", url]) == 1
        assert "nothing was copied" in capsys.readouterr().err
        assert [row["email"] for row in target.query("SELECT email FROM users")] == [
            "already@example.com"
        ]
        target.close()
    finally:
        postgres_server.drop(url)


def test_a_target_server_that_cannot_be_reached_is_named_in_one_line(catalog, config_file, capsys):
    nothing_listens = free_port()
    url = f"postgresql://alarmvault@127.0.0.1:{nothing_listens}/alarmvault"
    assert main(["--config", str(config_file), "migrate-catalog", "--to", url]) == 1
    error = capsys.readouterr().err
    assert error.startswith("alarmvault: the catalog cannot be used: connection failed")
    assert f"port {nothing_listens} failed" in error
    assert len(error.splitlines()) == 1


def test_settings_without_a_catalog_move_nothing_and_create_none(tmp_path, capsys):
    # A forgotten --config: the built-in data folder holds no catalog yet.
    config = tmp_path / "alarmvault.toml"
    config.write_text('[storage]\ndata_dir = "not-this-install"\n', encoding="utf-8")
    url = f"postgresql://alarmvault@127.0.0.1:{free_port()}/alarmvault"
    assert main(["--config", str(config), "migrate-catalog", "--to", url]) == 1
    error = capsys.readouterr().err
    assert "there is no SQLite catalog at" in error
    assert "--config" in error
    assert not (tmp_path / "not-this-install" / "catalog.db").exists()


def test_cameras_known_to_log_in_from_an_address_stay_known_after_the_move(
    catalog, settings, config_file, postgres_server, capsys
):
    # Several ingestd workers on SQLite keep them in their shared file, beside the catalog.
    now = time.time()
    reset_shared_state(settings)
    known = known_logins_store(settings)
    try:
        known.remember("192.0.2.10", account_key("cam-garden"), now + 3600, now)
        known.remember("192.0.2.11", account_key("cam-gate"), now + 7200, now)
        known.remember("192.0.2.12", account_key("cam-gone"), now - 1, now - 3600)  # expired
    finally:
        known.close()
    url = postgres_server.empty_database()
    try:
        assert main(["--config", str(config_file), "migrate-catalog", "--to", url]) == 0
        said = capsys.readouterr().out
        assert f"known camera logins: 2 added from {shared_state_file(settings)}" in said

        # What every node's ingestd asks (`login_ban.LoginBan.for_settings` on PostgreSQL).
        limits = shared_limits(url)
        assert limits is not None
        moved = limits.known_logins()
        try:
            assert moved.is_known("192.0.2.10", account_key("cam-garden"), time.time())
            assert moved.is_known("192.0.2.11", account_key("cam-gate"), time.time())
            assert not moved.any_known("192.0.2.12", now - 7200)
            assert not moved.is_known("192.0.2.10", account_key("cam-gate"), time.time())
        finally:
            moved.close()
    finally:
        postgres_server.drop(url)


def test_an_install_without_known_camera_logins_moves_and_says_none_were_added(
    catalog, config_file, postgres_server, capsys
):
    url = postgres_server.empty_database()
    try:
        assert main(["--config", str(config_file), "migrate-catalog", "--to", url]) == 0
        assert "known camera logins: 0 added from" in capsys.readouterr().out
    finally:
        postgres_server.drop(url)
