"""Clips held back by the fingerprint check: the owner accepts or discards them on the
camera's page; nobody else can."""

from __future__ import annotations

import pytest

from core.catalog.quarantine import list_quarantined
from core.catalog.rejections import list_rejections
from core.catalog.states import JobState
from pipeline.processor import ClipProcessor
from tests.pipeline.conftest import spool_upload  # noqa: F401 - a fixture used below
from tests.pipeline.rule_clips import OTHER_ENCODER, SMALL
from tests.webui.conftest import AuthActions

# Every owner check through the catalog: on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines


@pytest.fixture
def settings_dict(settings_dict):
    settings_dict["validation"] = {"fingerprint_clips": 1, "quarantine_expiry_h": 24}
    return settings_dict


@pytest.fixture
def held_clips(settings, catalog, make_user, make_camera, clip_factory, spool_upload):  # noqa: F811
    owner = make_user("gina@example.com")
    camera = make_camera(owner)
    processor = ClipProcessor(settings, catalog, "test:0")
    assert (
        processor.process(spool_upload(clip_factory(**SMALL), camera, "A1.mp4")) == JobState.INDEXED
    )
    for name in ("A2.mp4", "A3.mp4"):
        folder = spool_upload(clip_factory(**OTHER_ENCODER), camera, name)
        assert processor.process(folder) == JobState.QUARANTINED
    return owner, camera, list_quarantined(catalog, camera_id=camera["id"])


def test_owner_accepts_one_held_clip_and_discards_the_other(
    app, client, auth, catalog, held_clips, make_user
):
    owner, camera, (first, second) = held_clips
    page = f"/cameras/{camera['id']}"
    stranger = app.test_client()
    AuthActions(stranger).login_as(make_user("h@example.com"))
    refused = AuthActions(stranger).post(
        f"{page}/quarantine/{first['id']}", {"action": "accept"}, form_page="/account"
    )
    assert refused.status_code == 404

    auth.login_as(owner)
    html = client.get(page).get_data(as_text=True)
    assert "Clips held back" in html and "gop_frames" in html
    accepted = auth.post(f"{page}/quarantine/{first['id']}", {"action": "accept"}, form_page=page)
    assert accepted.status_code == 302
    assert accepted.headers["Location"].startswith("/recordings/")
    assert client.get(accepted.headers["Location"] + "/video").status_code == 200
    discarded = auth.post(
        f"{page}/quarantine/{second['id']}", {"action": "discard"}, form_page=page
    )
    assert discarded.status_code == 302
    assert list_quarantined(catalog) == []
    assert [r["reason"] for r in list_rejections(catalog)] == ["fingerprint_mismatch"]
