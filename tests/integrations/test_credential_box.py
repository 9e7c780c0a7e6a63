"""Secrets kept for later use are sealed with a key generated once (0600) or from systemd."""

from __future__ import annotations

import stat

import pytest
from cryptography.fernet import Fernet

from core.credential_box import SealBroken, load_credential_box


def test_the_key_file_is_made_once_and_only_its_owner_can_read_it(settings, monkeypatch):
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    box = load_credential_box(settings)
    key_file = settings.storage.keys_dir / "integrations_key.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    first = key_file.read_bytes()
    sealed = box.seal({"password": "camera-Secret-1"})
    again = load_credential_box(settings)
    assert key_file.read_bytes() == first
    assert again.open(sealed) == {"password": "camera-Secret-1"}


def test_a_sealed_value_does_not_contain_the_secret(settings):
    sealed = load_credential_box(settings).seal({"address": "192.168.1.20", "password": "pw-123"})
    assert "pw-123" not in sealed and "192.168" not in sealed


def test_the_systemd_credential_wins_over_the_key_file(settings, tmp_path, monkeypatch):
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    key = Fernet.generate_key()
    (credentials / "integrations_key").write_bytes(key)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    sealed = load_credential_box(settings).seal({"x": 1})
    assert Fernet(key).decrypt(sealed.encode())
    assert not (settings.storage.keys_dir / "integrations_key.key").exists()


def test_a_value_sealed_with_another_key_cannot_be_opened(settings, tmp_path, monkeypatch):
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    sealed = load_credential_box(settings).seal({"x": 1})
    credentials = tmp_path / "other"
    credentials.mkdir()
    (credentials / "integrations_key").write_bytes(Fernet.generate_key())
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    with pytest.raises(SealBroken):
        load_credential_box(settings).open(sealed)
