"""`alarmvault check-config`: invalid settings exit as the services' ``--validate-config`` do,
and a catalog the services could not use (a PostgreSQL server that does not answer or refuses,
a SQLite folder that cannot be written) fails the check, unless ``--offline`` asks for the
settings alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli import main as cli_main
from core.service import EXIT_CATALOG_UNREACHABLE, EXIT_INVALID_SETTINGS
from tests.loopback import free_port


def _config(tmp_path: Path, storage: str) -> Path:
    config = tmp_path / "alarmvault.toml"
    config.write_text(f'[storage]\ndata_dir = "."\n{storage}', encoding="utf-8")
    return config


def test_invalid_settings_exit_with_the_services_code_naming_the_key(tmp_path, capsys):
    config = _config(tmp_path, "no_such_key = 1\n")
    assert cli_main(["--config", str(config), "check-config"]) == EXIT_INVALID_SETTINGS == 2
    error = capsys.readouterr().err
    assert error.startswith("alarmvault: invalid settings:\n")
    assert "no_such_key" in error


def test_a_postgresql_catalog_that_answers_passes_the_check(postgres_catalog_url, tmp_path, capsys):
    config = _config(tmp_path, f'catalog = "{postgres_catalog_url}"\n')
    assert cli_main(["--config", str(config), "check-config"]) == 0
    said = capsys.readouterr().out
    assert f"settings OK: {config}" in said
    assert "catalog OK: PostgreSQL answered" in said


def test_a_catalog_server_that_does_not_answer_fails_the_check_in_one_line_without_the_password(
    tmp_path, capsys
):
    nothing_listens = free_port()
    config = _config(
        tmp_path, f'catalog = "postgresql://alarmvault:s3cret@127.0.0.1:{nothing_listens}/av"\n'
    )
    assert cli_main(["--config", str(config), "check-config"]) == EXIT_CATALOG_UNREACHABLE
    said = capsys.readouterr()
    assert said.err.startswith("alarmvault: the catalog cannot be used: connection failed")
    assert f"port {nothing_listens} failed" in said.err
    assert len(said.err.splitlines()) == 1
    assert "s3cret" not in said.err + said.out


def test_a_catalog_server_that_refuses_the_login_fails_the_check_saying_why(
    postgres_server, tmp_path, capsys
):
    config = _config(tmp_path, f'catalog = "{postgres_server.url("no_such_catalog")}"\n')
    assert cli_main(["--config", str(config), "check-config"]) == EXIT_CATALOG_UNREACHABLE
    error = capsys.readouterr().err
    assert 'database "no_such_catalog" does not exist' in error
    assert len(error.splitlines()) == 1


def test_a_sqlite_catalog_folder_that_cannot_be_made_fails_the_check(tmp_path, capsys):
    (tmp_path / "data").write_text("a file where the data folder should be", encoding="utf-8")
    config = _config(tmp_path, "").with_name("other.toml")
    config.write_text('[storage]\ndata_dir = "data"\n', encoding="utf-8")
    assert cli_main(["--config", str(config), "check-config"]) == EXIT_CATALOG_UNREACHABLE
    error = capsys.readouterr().err
    assert error == (
        f"alarmvault: the catalog cannot be used: the catalog folder {tmp_path / 'data'}"
        f" cannot be made: {tmp_path / 'data'} is not a folder\n"
    )


@pytest.mark.sqlite_only(reason="the catalog of the settings file written here is SQLite")
def test_a_writable_sqlite_catalog_folder_passes_the_check(tmp_path, capsys):
    config = _config(tmp_path, "")
    assert cli_main(["--config", str(config), "check-config"]) == 0
    assert f"catalog OK: {tmp_path / 'catalog.db'}" in capsys.readouterr().out
    assert not (tmp_path / "catalog.db").exists()  # looked at, not made


def test_offline_checks_the_settings_without_reaching_for_the_catalog(tmp_path, capsys):
    config = _config(tmp_path, f'catalog = "postgresql://alarmvault@127.0.0.1:{free_port()}/av"\n')
    assert cli_main(["--config", str(config), "check-config", "--offline"]) == 0
    said = capsys.readouterr()
    assert said.out.startswith(f"settings OK: {config}\n")
    assert "catalog" not in said.out.replace("[storage] catalog is PostgreSQL", "")
    assert said.err == ""


def test_check_config_warns_when_the_catalog_url_holds_the_password(tmp_path, capsys):
    config = tmp_path / "alarmvault.toml"
    url = "postgresql://alarmvault:{}@db.internal/alarmvault"
    config.write_text(
        f'[storage]\ncatalog = "{url.format("s3cret")}"\nmedia = "/srv/media"\n',
        encoding="utf-8",
    )
    assert cli_main(["--config", str(config), "check-config", "--offline"]) == 0
    said = capsys.readouterr().out
    assert "[storage] catalog holds the database password" in said
    assert "s3cret" not in said

    config.write_text(
        '[storage]\ncatalog = "postgresql://alarmvault@db.internal/alarmvault"\n'
        'media = "/srv/media"\n',
        encoding="utf-8",
    )
    assert cli_main(["--config", str(config), "check-config", "--offline"]) == 0
    assert "password" not in capsys.readouterr().out
