"""[schedule], [metrics] and [storage]: typed, unknown keys rejected, documented in the example
config."""

from __future__ import annotations

from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict

from core.settings import ConfigError, load_settings, settings_from_dict
from tests.ops.processes import REPO


def test_unknown_schedule_key_is_rejected():
    with pytest.raises(ConfigError, match=r"unknown key 'schedule\.retention_dayz'"):
        settings_from_dict({"schedule": {"retention_dayz": 3}}, Path("/"))


def test_metrics_listen_must_be_host_and_port():
    with pytest.raises(ConfigError, match=r"metrics\.listen"):
        settings_from_dict({"metrics": {"listen": "9108"}}, Path("/"))


def test_deletion_period_without_warning_period_is_refused():
    with pytest.raises(ConfigError, match="inactive_delete_days needs inactive_warn_days"):
        settings_from_dict(
            {"schedule": {"inactive_warn_days": 0, "inactive_delete_days": 10}}, Path("/")
        )


def test_example_config_documents_the_defaults():
    settings = load_settings(REPO / "config" / "alarmvault.example.toml")
    defaults = settings_from_dict({}, Path("/"))
    assert settings.schedule == defaults.schedule
    assert settings.metrics == defaults.metrics
    assert settings.pipeline == defaults.pipeline


def test_unknown_sftp_cipher_is_refused_with_its_name_and_the_supported_ones():
    with pytest.raises(
        ConfigError,
        match=r"unknown SSH cipher chacha20-poly1305@openssh\.com.*"
        r"aes128-gcm@openssh\.com",
    ):
        settings_from_dict({"sftp": {"ciphers": ["chacha20-poly1305@openssh.com"]}}, Path("/"))
    settings = settings_from_dict({"sftp": {"ciphers": ["aes256-gcm@openssh.com"]}}, Path("/"))
    assert settings.sftp.ciphers == ["aes256-gcm@openssh.com"]


def test_a_catalog_url_libpq_cannot_read_is_refused_at_load_without_quoting_it():
    with pytest.raises(ConfigError, match=r"storage\.catalog.*libpq cannot read") as refused:
        settings_from_dict(
            {"storage": {"catalog": "postgresql://alarmvault:ab%zzsecret@db.internal/alarmvault"}},
            Path("/"),
        )
    assert "secret" not in str(refused.value)


def test_the_catalog_idle_in_transaction_limit_goes_with_every_postgresql_connection():
    url = "postgresql://alarmvault@db.internal/alarmvault"
    storage = settings_from_dict({"storage": {"catalog": url}}, Path("/")).storage
    assert conninfo_to_dict(str(storage.catalog_path))["options"] == (
        "-c idle_in_transaction_session_timeout=60s"
    )
    # Options of the admin's own are kept; one that sets the limit itself wins.
    own = f"{url}?connect_timeout=3&options=-c%20work_mem%3D8MB"
    storage = settings_from_dict(
        {"storage": {"catalog": own, "catalog_idle_in_transaction_s": 5}}, Path("/")
    ).storage
    assert conninfo_to_dict(str(storage.catalog_path)) | {"host": "-"} == {
        "user": "alarmvault",
        "dbname": "alarmvault",
        "host": "-",
        "connect_timeout": "3",
        "options": "-c work_mem=8MB -c idle_in_transaction_session_timeout=5s",
    }
    chosen = f"{url}?options=-c%20idle_in_transaction_session_timeout%3D2min"
    storage = settings_from_dict({"storage": {"catalog": chosen}}, Path("/")).storage
    assert storage.catalog_path == chosen
    # A SQLite catalog is a file path, as before.
    assert settings_from_dict({}, Path("/srv")).storage.catalog_path == Path("/srv/var/catalog.db")


@pytest.mark.parametrize("seconds", [0, 3601])
def test_a_catalog_idle_in_transaction_limit_out_of_range_is_refused(seconds):
    with pytest.raises(ConfigError, match=r"storage\.catalog_idle_in_transaction_s"):
        settings_from_dict({"storage": {"catalog_idle_in_transaction_s": seconds}}, Path("/"))
