"""`alarmvault migrate-catalog --to postgresql://…`: a SQLite install moves to PostgreSQL with
every row and id, and the PostgreSQL catalog goes on where SQLite stopped."""

from __future__ import annotations

import pytest

from cli import main
from core.catalog import open_catalog
from core.catalog.cameras import add_camera
from core.catalog.copy import copy_order
from core.catalog.jobs import claim_job, register_job
from core.catalog.plates import add_known_plate
from core.catalog.users import add_user
from core.catalog.web_sessions import create_session
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
