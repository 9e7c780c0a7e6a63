"""Storing a camera address: metadata and internal addresses are refused with one answer."""

from __future__ import annotations

import pytest

# The REST API over the real Flask app, on a SQLite catalog and on PostgreSQL.
pytestmark = pytest.mark.both_engines


@pytest.fixture
def settings_dict(settings_dict):
    # A hosted service (listening on every address would make the default 'public' too).
    settings_dict["api"] = {**settings_dict["api"], "camera_networks": ["public"]}
    return settings_dict


@pytest.mark.parametrize(
    "address",
    ["169.254.169.254", "100.100.100.200", "[fd00:ec2::254]:80", "10.0.0.8", "192.168.1.20"],
)
def test_internal_and_metadata_camera_addresses_are_refused_alike(alice, address):
    response = alice.call(
        "PUT",
        f"/cameras/{alice.camera['id']}/access",
        json={"address": address, "username": "admin", "password": "x", "dialect": "fullhd"},
    )
    assert response.status_code == 422
    assert response.json == {
        "error": "invalid_request",
        "message": "address: this network address cannot be used",
    }
