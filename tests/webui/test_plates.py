"""Plates in the web UI and the API: search by plate (look-alikes and one missing character
tolerated), each crop with its text on the recording page, named plates on the account page,
and the privacy rules: plate text leaves with its recording and is in the data export."""

from __future__ import annotations

import io
import json
import logging
import re
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest

from core.catalog.detections import plate_crops, store_detection_results
from core.catalog.plates import add_known_plate, recording_plates
from core.catalog.tokens import create_token
from core.clipstore import ClipStore
from core.detection.results import ClipDetections, DetectionSwitches, PlateCrop, PlateRead
from tests.detection import plate_synthetic

# Every owner check through the catalog: on SQLite and on PostgreSQL.
pytestmark = pytest.mark.both_engines


@pytest.fixture
def owner(make_user):
    return make_user("owner@example.com")


@pytest.fixture
def logged_in(auth, owner):
    auth.login_as(owner)
    return auth


def crop_image(text: str | None) -> np.ndarray:
    """A SYNTHETIC plate crop showing ``text`` (DejaVu), or a grey patch without fonts/text."""
    if text is None or not plate_synthetic.fonts_available():
        return np.full((30, 100, 3), 200, np.uint8)
    plate = plate_synthetic.render_plate(text, plate_synthetic.FONTS[0], plate_synthetic.COLOURS[0])
    return plate_synthetic.degrade(plate, 160, 0.0, 0.0, 90)


def give_plates(catalog, settings, recording: dict, texts: list[str | None]) -> None:
    """Store detection results with one plate crop per text (a real JPEG beside the poster),
    each its own vehicle, the way the pipeline stores an analysis."""
    clips = ClipStore(settings.storage)
    folder = clips.thumb_file(clips.thumb_relpath(recording["path"])).parent
    folder.mkdir(parents=True, exist_ok=True)
    stem = Path(recording["path"]).stem
    crops, reads = [], []
    for number, text in enumerate(texts):
        path = folder / f"{stem}.plate{number}.jpg"
        cv2.imwrite(str(path), crop_image(text))
        crops.append(
            PlateCrop(
                float(number),
                0.8,
                (10, 10, 110, 40),
                path,
                text=text,
                text_score=0.9 if text else None,
                track=number,
            )
        )
        if text:
            reads.append(PlateRead(number, text, 0.9, float(number), number))
    result = ClipDetections(
        switches=DetectionSwitches(plates=True), duration_s=18.0, plates=crops, plate_reads=reads
    )
    store_detection_results(catalog, recording["id"], result, files_root=clips.thumbs_root)


def ids_on_page(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'data-recording-id="(\d+)"', html)]


@pytest.fixture
def plated(catalog, settings, owner, make_camera, store_recording):
    camera = make_camera(owner, name="Driveway")
    made = {
        "ours": store_recording(camera, "2026-11-25T08:00:00+00:00", poster=False),
        "visitor": store_recording(camera, "2026-11-25T09:00:00+00:00", poster=False),
        "none": store_recording(camera, "2026-11-25T10:00:00+00:00", poster=False),
    }
    give_plates(catalog, settings, made["ours"], ["RHA0A01"])
    give_plates(catalog, settings, made["visitor"], ["BXS5120", None])
    return made


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("RHA0A01", ["ours"]),
        ("rha-0a 01", ["ours"]),  # spaces, dashes, lower case
        ("RHAOAO1", ["ours"]),  # O for 0, twice
        ("RHA0A1", ["ours"]),  # one character missing from the query
        ("RHA0A011", ["ours"]),  # one too many
        ("8X55I2O", ["visitor"]),  # B/8, S/5, I/1, O/0
        ("RHA0", []),  # three missing is another plate
        ("RHA0A02", []),
    ],
)
def test_api_finds_recordings_by_plate_despite_look_alikes(
    client, catalog, owner, plated, query, expected
):
    token = create_token(catalog, owner["id"], "read", "read")[1]
    response = client.get(
        "/api/v1/recordings",
        query_string={"plate": query},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.json
    assert [item["id"] for item in response.json["items"]] == [plated[k]["id"] for k in expected]


def test_api_recordings_carry_their_plates_with_the_owners_names(client, catalog, owner, plated):
    add_known_plate(catalog, owner["id"], "RHA 0A01", "our car")
    token = create_token(catalog, owner["id"], "read", "read")[1]
    headers = {"Authorization": f"Bearer {token}"}
    ours = client.get(f"/api/v1/recordings/{plated['ours']['id']}", headers=headers).json
    assert ours["plates"] == [{"text": "RHA0A01", "name": "our car"}]
    visitor = client.get(f"/api/v1/recordings/{plated['visitor']['id']}", headers=headers).json
    assert visitor["plates"] == [{"text": "BXS5120", "name": None}]
    too_long = client.get("/api/v1/recordings", query_string={"plate": "X" * 21}, headers=headers)
    assert too_long.status_code == 400


def test_another_owner_never_finds_my_plates(client, catalog, make_user, plated):
    stranger = make_user("stranger@example.com")
    token = create_token(catalog, stranger["id"], "read", "read")[1]
    response = client.get(
        "/api/v1/recordings?plate=RHA0A01", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.json["items"] == []


def test_recordings_page_filters_by_plate_and_shows_names(
    client, logged_in, catalog, owner, plated
):
    add_known_plate(catalog, owner["id"], "RHA0A01", "our car")
    html = client.get("/recordings?plate=rha oa01").get_data(as_text=True)
    assert ids_on_page(html) == [plated["ours"]["id"]]
    assert 'name="plate"' in html and 'value="RHAOA01"' in html  # kept, normalised
    assert "RHA0A01 · our car" in html
    everything = client.get("/recordings").get_data(as_text=True)
    assert ids_on_page(everything) == [plated[k]["id"] for k in ("none", "visitor", "ours")]
    assert "BXS5120" in everything


def test_recording_page_shows_each_plate_crop_with_its_text(
    client, logged_in, catalog, owner, plated
):
    add_known_plate(catalog, owner["id"], "BX55120", "postman")  # a look-alike of the reading
    recording_id = plated["visitor"]["id"]
    html = client.get(f"/recordings/{recording_id}").get_data(as_text=True)
    assert html.count(f'src="/recordings/{recording_id}/plates/') == 2
    assert "BXS5120" in html and "postman" in html and "not readable" in html
    crop = client.get(f"/recordings/{recording_id}/plates/0")
    assert crop.status_code == 200 and crop.mimetype == "image/jpeg"
    assert client.get(f"/recordings/{recording_id}/plates/2").status_code == 404


def test_plate_crops_are_the_owners_only(client, auth, make_user, plated):
    auth.login_as(make_user("stranger@example.com"))
    assert client.get(f"/recordings/{plated['ours']['id']}/plates/0").status_code == 404


def test_owner_names_and_forgets_plates_on_the_account_page(client, logged_in, catalog, owner):
    logged_in.post("/account/plates", {"text": "rha-0a01", "name": "our car"})
    html = client.get("/account").get_data(as_text=True)
    assert "RHA0A01" in html and "our car" in html
    logged_in.post("/account/plates", {"text": "RHAOA01", "name": "the old car"})  # same plate
    rows = list(catalog.query("SELECT text, name FROM known_plates"))
    assert rows == [{"text": "RHAOA01", "name": "the old car"}]
    bad = logged_in.post("/account/plates", {"text": "--", "name": "x"}, follow_redirects=True)
    assert "at least two letters or digits" in bad.get_data(as_text=True)
    plate_id = catalog.execute("SELECT id FROM known_plates").fetchone()[0]
    logged_in.post(f"/account/plates/{plate_id}/delete")
    assert list(catalog.query("SELECT * FROM known_plates")) == []


def test_deleting_a_recording_deletes_its_plate_text_and_crops(
    client, logged_in, catalog, settings, plated, caplog
):
    caplog.set_level(logging.DEBUG)
    recording = plated["visitor"]
    crop_files = [
        ClipStore(settings.storage).thumb_file(row["path"])
        for row in plate_crops(catalog, recording["id"])
    ]
    assert all(path.is_file() for path in crop_files)
    logged_in.post(
        f"/recordings/{recording['id']}/delete", form_page=f"/recordings/{recording['id']}"
    )
    assert recording_plates(catalog, recording["id"]) == []
    for table in ("plate_crops", "recording_plates", "plate_search_keys"):
        rows = catalog.execute(
            f"SELECT count(*) FROM {table} WHERE recording_id = ?",  # noqa: S608
            [recording["id"]],
        ).fetchone()[0]
        assert rows == 0, table
    assert not any(path.exists() for path in crop_files)
    assert "BXS5120" not in caplog.text
    # The other recording's plate is still found.
    assert recording_plates(catalog, plated["ours"]["id"])[0]["text"] == "RHA0A01"


def test_export_holds_the_plate_readings_and_named_plates(
    client, logged_in, catalog, owner, plated
):
    add_known_plate(catalog, owner["id"], "RHA0A01", "our car")
    archive = zipfile.ZipFile(io.BytesIO(client.get("/account/export").data))
    reads = json.loads(archive.read("recording_plates.json"))
    assert sorted(row["text"] for row in reads) == ["BXS5120", "RHA0A01"]
    crops = json.loads(archive.read("plate_crops.json"))
    assert {row["text"] for row in crops} == {"RHA0A01", "BXS5120", None}
    assert json.loads(archive.read("known_plates.json"))[0]["name"] == "our car"


def test_api_accepts_plate_conditions_on_targets(client, catalog, make_user):
    user = make_user()
    token = create_token(catalog, user["id"], "control", "control")[1]
    response = client.post(
        "/api/v1/notifications",
        json={"kind": "email", "labels": ["plate_unknown", "plate:12"]},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.json
    assert response.json["labels"] == ["plate:12", "plate_unknown"]


def test_camera_page_consent_says_plates_are_read(client, logged_in, owner, make_camera):
    camera = make_camera(owner)
    html = client.get(f"/cameras/{camera['id']}").get_data(as_text=True)
    assert "their text is read on this server" in html


def test_api_names_lists_and_forgets_plates(client, catalog, owner, plated):
    token = create_token(catalog, owner["id"], "control", "control")[1]
    headers = {"Authorization": f"Bearer {token}"}
    made = client.post(
        "/api/v1/plates", json={"text": "rha 0a01", "name": "our car"}, headers=headers
    )
    assert made.status_code == 201 and made.json["text"] == "RHA0A01"
    assert [p["name"] for p in client.get("/api/v1/plates", headers=headers).json["items"]] == [
        "our car"
    ]
    ours = client.get(f"/api/v1/recordings/{plated['ours']['id']}", headers=headers).json
    assert ours["plates"] == [{"text": "RHA0A01", "name": "our car"}]
    bad = client.post("/api/v1/plates", json={"text": "-", "name": "x"}, headers=headers)
    assert bad.status_code == 422
    gone = client.delete(f"/api/v1/plates/{made.json['id']}", headers=headers)
    assert gone.status_code == 204
    assert client.delete(f"/api/v1/plates/{made.json['id']}", headers=headers).status_code == 404


@pytest.mark.browser
def test_owner_names_a_plate_finds_it_and_sees_the_crop_in_a_real_browser(
    live_server, browser, screenshots, catalog, owner, plated
):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(live_server + "/login")
    page.fill("input[name=email]", owner["email"])
    page.fill("input[name=password]", owner["password"])
    page.click("button:has-text('Log in')")
    page.wait_for_url("**/dashboard")

    page.goto(live_server + "/account")
    page.fill("#plates input[name=text]", "RHA-0A01")
    page.fill("#plates input[name=name]", "our car")
    page.click("#plates button:has-text('Save name')")
    page.wait_for_url("**/account#plates")
    assert page.locator(".known-plates li").inner_text().startswith("RHA0A01 · our car")
    screenshots(page, "account-named-plates")

    page.goto(live_server + "/recordings")
    page.fill("input[name=plate]", "rha oao1")  # O for 0, typed loosely
    page.click("button:has-text('Filter')")
    page.wait_for_url(re.compile(r".*[?&]plate=rha.*"))
    assert page.locator("#recordings .clip").count() == 1
    assert page.locator(".tag.plate").inner_text() == "RHA0A01 · our car"
    screenshots(page, "recordings-by-plate")

    page.click(f"[data-recording-id='{plated['ours']['id']}'] a.title")
    page.wait_for_load_state("load")
    crop = page.locator(".plate-crops img")
    assert crop.evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.locator(".plate-crops .plate-text").inner_text() == "RHA0A01"
    assert page.locator(".plate-crops .plate-name").inner_text() == "our car"
    screenshots(page, "recording-plate-crops")
