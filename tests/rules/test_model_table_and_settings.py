"""The camera model table (built in, extended by an admin's file) and the rule settings."""

from __future__ import annotations

import pytest

from core.camera_models import UnknownModel, get_model, load_model_table
from core.settings import ConfigError, settings_from_dict

SERIES_MODELS = {
    "HD": ["IN-5905", "IN-5907", "IN-6012", "IN-7011"],
    "FullHD": ["IN-8001", "IN-8003", "IN-8015", "IN-9008", "IN-9010", "IN-9020"],
    "WQHD": ["IN-8401", "IN-8403", "IN-8415", "IN-9408", "IN-9420"],
}


def test_built_in_table_has_every_series_model_with_its_sizes_and_codecs():
    table = load_model_table()
    for series, models in SERIES_MODELS.items():
        for name in models:
            assert table[name].series == series
    assert table["IN-9408"].produces_size(2560, 1440)
    assert "hevc" in table["IN-9408"].codecs
    assert not table["IN-8015"].produces_size(2560, 1440)
    assert table["IN-8015"].produces_size(640, 352)
    assert table["IN-5905"].codecs == frozenset({"h264"})


def test_admin_file_adds_a_model_to_a_built_in_series_and_a_new_series(tmp_path):
    extra = tmp_path / "models.toml"
    extra.write_text(
        '[series.Thirdparty]\nsizes = ["800x448"]\nfps = [5, 20]\n'
        '[models]\n"IN-9999" = "WQHD"\n"ACME-1" = "Thirdparty"\n'
    )
    table = load_model_table(extra)
    assert table["IN-9999"].produces_size(2560, 1440)
    assert table["ACME-1"].produces_size(800, 448)
    assert table["ACME-1"].fps_range == (5.0, 20.0)
    assert "IN-8015" in table


def test_admin_file_naming_an_unknown_series_is_refused(tmp_path):
    extra = tmp_path / "models.toml"
    extra.write_text('[models]\n"X-1" = "Nope"\n')
    with pytest.raises(ValueError, match="unknown series"):
        load_model_table(extra)


def test_unknown_model_lists_the_known_ones():
    with pytest.raises(UnknownModel, match="IN-8015"):
        get_model(load_model_table(), "IN-0000")


def test_rule_settings_have_defaults(tmp_path):
    settings = settings_from_dict({}, tmp_path)
    assert settings.validation.fingerprint_clips == 3
    assert settings.fairuse.constant_alarm_min == 60.0
    assert settings.fairuse.false_alarm_share == 0.8


def test_hard_cap_below_the_standard_clip_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="max_duration_s"):
        settings_from_dict({"validation": {"max_duration_s": 19.0}}, tmp_path)


def test_constant_alarm_longer_than_the_window_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="window_h"):
        settings_from_dict({"fairuse": {"window_h": 0.5, "constant_alarm_min": 31}}, tmp_path)


def test_unknown_fairuse_key_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown key 'fairuse\.gap'"):
        settings_from_dict({"fairuse": {"gap": 3}}, tmp_path)
