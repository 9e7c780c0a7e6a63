"""German and English: every marked text has a German translation in the committed catalogue;
a page is German for a German browser and for an account set to German (which then wins over
the browser); the first login keeps the browser's language; mails and notices are worded in
the reader's language when they are sent or shown, not when they are made."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.checkers import python_format
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from core.catalog import atomic
from core.catalog.cameras import add_camera
from core.catalog.users import add_user
from core.notification_rules import mail_text, recording_payload
from core.translation import CATALOGUE_DIR, LANGUAGES, translations
from pipeline.owner_notices import mail_notice, record_notice
from pipeline.processor import long_clip_notice
from pipeline.signature.verdict import UploadVerdict
from tests.conftest import REPO, TEST_OUTPUT, open_catalog_as_of
from tests.webui.conftest import AuthActions, BufferedClient, csrf_from, link_in
from webui import create_app

SCREENS = TEST_OUTPUT / "screens"
LANGUAGE_MIGRATION = 81
GERMAN = {"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}


def marked_texts() -> set[str | tuple[str, str]]:
    """Every text the sources mark for translation, as ``make translations`` extracts it."""
    with (REPO / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "N_": None}
    found: set[str | tuple[str, str]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(REPO), method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def catalogue(language: str, suffix: str):
    path = Path(CATALOGUE_DIR) / language / "LC_MESSAGES" / f"messages.{suffix}"
    with path.open("rb") as handle:
        return read_mo(handle) if suffix == "mo" else read_po(handle)


def test_every_marked_text_has_a_german_translation_in_the_compiled_catalogue():
    texts = marked_texts()
    assert len(texts) > 300, "the extraction found too little: the check would prove nothing"
    compiled = catalogue("de", "mo")
    untranslated = []
    for text in texts:
        message = compiled.get(text)
        strings = message.string if message else None
        if not strings or (isinstance(strings, tuple) and not all(strings)):
            untranslated.append(text)
    assert untranslated == [], "run `make translations` and translate these in messages.po"


def test_the_compiled_catalogue_is_the_po_file_compiled():
    source, compiled = catalogue("de", "po"), catalogue("de", "mo")

    def texts(catalog) -> dict:
        return {
            m.id if isinstance(m.id, str) else tuple(m.id): m.string
            if isinstance(m.string, str)
            else tuple(m.string)
            for m in catalog
            if m.id and not m.fuzzy
        }

    assert texts(source) == texts(compiled), "run `make translations`"


def test_german_texts_keep_every_placeholder_of_the_english():
    source = catalogue("de", "po")
    for message in source:
        if message.id and message.python_format:
            python_format(source, message)  # raises TranslationError on a lost %(name)s


def test_a_german_browser_gets_german_pages_and_an_english_one_english(client):
    german = client.get("/login", headers=GERMAN).get_data(as_text=True)
    assert "<h1>Anmelden</h1>" in german and "Passwort vergessen?" in german
    assert '<html lang="de">' in german
    english = client.get("/login", headers=ENGLISH).get_data(as_text=True)
    assert "<h1>Log in</h1>" in english and "Forgot your password?" in english


def test_the_first_login_keeps_the_browsers_language_and_the_account_setting_wins_after(
    client, auth, make_user, catalog
):
    owner = make_user()
    client.post(
        "/login",
        data={"email": owner["email"], "password": owner["password"], "csrf_token": auth.csrf()},
        headers=GERMAN,
    )
    language = "SELECT language FROM users WHERE id = ?"
    assert catalog.execute(language, [owner["id"]]).fetchone()[0] == "de"
    # The account's language, not the browser's, from now on.
    page = client.get("/account", headers=ENGLISH).get_data(as_text=True)
    assert "<h1>Konto</h1>" in page
    assert '<option value="de" lang="de" selected>Deutsch</option>' in page

    answer = client.post(
        "/account/language",
        data={"language": "en", "csrf_token": auth.csrf("/account")},
        headers=GERMAN,
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Pages and mails are in English from now on." in answer
    assert "<h1>Account</h1>" in answer
    assert catalog.execute(language, [owner["id"]]).fetchone()[0] == "en"

    # A later login from a German browser does not undo the choice.
    auth.logout()
    client.post(
        "/login",
        data={"email": owner["email"], "password": owner["password"], "csrf_token": auth.csrf()},
        headers=GERMAN,
    )
    assert catalog.execute(language, [owner["id"]]).fetchone()[0] == "en"
    assert "<h1>Dashboard</h1>" in client.get("/dashboard", headers=GERMAN).get_data(as_text=True)


def test_an_unknown_language_is_refused_and_nothing_changes(client, auth, make_user, catalog):
    owner = make_user()
    auth.login_as(owner)
    answer = auth.post("/account/language", {"language": "xx"}, follow_redirects=True)
    assert "Please choose a language from the list." in answer.get_data(as_text=True)
    assert catalog.execute("SELECT language FROM users WHERE id = ?", [owner["id"]]).fetchone()[
        0
    ] in (None, "en")


def test_german_dates_and_numbers_on_a_german_page(
    client, auth, make_user, make_camera, store_recording, catalog
):
    owner = make_user()
    catalog.execute(
        "UPDATE users SET language = 'de', timezone = 'Europe/Berlin' WHERE id = ?", [owner["id"]]
    )
    camera = make_camera(owner, name="Garten")
    store_recording(camera, "2026-11-25T13:05:01+00:00", poster=False)
    auth.login_as(owner)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Letzter Alarm:" in page
    assert "25.11.2026, 14:05:01 MEZ" in page
    assert " von 10,0 GB belegt (" in page


def test_a_password_reset_mail_is_in_the_accounts_language(client, make_user, catalog, outbox):
    owner = make_user()
    catalog.execute("UPDATE users SET language = 'de' WHERE id = ?", [owner["id"]])
    form = client.get("/reset", headers=ENGLISH).get_data(as_text=True)
    assert "Forgot your password?" in form  # the page follows the browser
    client.post(
        "/reset", data={"email": owner["email"], "csrf_token": csrf_from(form)}, headers=ENGLISH
    )
    [mail] = outbox()
    assert mail["Subject"] == "Neues Passwort für AlarmVault"
    body = mail.get_content()
    assert body.startswith("Hallo,")
    assert "innerhalb einer Stunde" in body
    assert link_in(mail, "/reset/")


def test_an_owner_notice_names_the_camera_and_is_worded_for_whoever_reads_it(
    client, auth, make_user, make_camera, catalog, settings, outbox
):
    owner = make_user()
    catalog.execute("UPDATE users SET language = 'de' WHERE id = ?", [owner["id"]])
    camera = make_camera(owner, name="Einfahrt")
    job = {"id": "job-1", "camera_id": camera["id"]}
    verdict = UploadVerdict("delayed", probe={"duration_s": 30.2})
    notice = long_clip_notice(job, camera, verdict, datetime.now(UTC))
    with atomic(catalog):
        record_notice(catalog, camera["id"], notice, "2026-11-25T13:05:01+00:00")
    assert mail_notice(catalog, settings, camera["id"], notice) == 1

    [mail] = outbox()
    assert mail["Subject"] == "Die Kamera Einfahrt lädt Clips hoch, die länger als 18 Sekunden sind"
    assert "Die Kamera Einfahrt hat einen Alarmclip von 30 s hochgeladen." in mail.get_content()
    assert "Was Sie tun können:" in mail.get_content()

    # Stored once, worded when shown: German for the owner's choice, English after a change.
    auth.login_as(owner)
    german = client.get("/dashboard").get_data(as_text=True)
    assert "Die Kamera Einfahrt lädt Clips hoch, die länger als 18 Sekunden sind" in german
    auth.post("/account/language", {"language": "en"})
    english = client.get("/dashboard").get_data(as_text=True)
    assert "Camera Einfahrt uploads clips longer than 18 seconds" in english
    assert "Camera Einfahrt uploaded a 30 s alarm clip." in english
    assert "Camera 1 " not in english


def test_an_alarm_mail_is_in_the_owners_language_and_time_zone():
    row = {
        "id": 7,
        "camera_id": 1,
        "camera_name": "Garten",
        "started_at": "2026-11-25T13:05:01+00:00",
        "duration_s": 18.0,
        "labels": ["person"],
    }
    subject, body = mail_text(recording_payload(row), "Europe/Berlin", "de")
    assert subject == "Alarm (Person) bei Garten"
    assert "Ihre Kamera Garten hat am 25.11.2026, 14:05:01 MEZ einen Alarm aufgenommen." in body
    subject, body = mail_text(recording_payload(row), "Europe/Berlin", "en")
    assert subject == "Alarm (Person) on Garten"
    assert "2026-11-25 14:05:01 CET" in body


def test_every_language_has_its_catalogue():
    assert LANGUAGES[0] == "en"
    for language in LANGUAGES[1:]:
        assert translations(language).gettext("Recordings") != "Recordings"


@pytest.mark.browser
def test_chromium_with_a_german_locale_gets_german_pages_and_keeps_the_owners_choice(
    live_server, browser, make_user
):
    owner = make_user()
    context = browser.new_context(locale="de-DE", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(live_server + "/login")
    assert page.locator("h1").inner_text() == "Anmelden"
    assert page.locator("html").get_attribute("lang") == "de"
    page.fill("input[name=email]", owner["email"])
    page.fill("input[name=password]", owner["password"])
    page.click("main button[type=submit]")
    page.wait_for_url("**/dashboard")
    assert page.locator("h1").inner_text() == "Übersicht"
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / "german-dashboard-phone-light.png"), full_page=True)
    page.goto(live_server + "/account")
    page.select_option("select[name=language]", "en")
    page.click("#language button[type=submit]")
    page.wait_for_selector("text=Pages and mails are in English from now on.")
    assert page.locator("h1").inner_text() == "Account"  # the choice wins over the browser
    context.close()


@pytest.fixture
def upgraded(settings):
    """A catalog as the release before m0081 left it (a user, a camera, a notice), then
    opened by the app, which upgrades it; a client of that app and the old user."""
    db = open_catalog_as_of(settings.storage.catalog_path, LANGUAGE_MIGRATION - 1)
    assert "language" not in db["users"].columns_dict
    owner = add_user(db, "old@example.com", "old customer's password")
    owner["password"] = "old customer's password"
    camera, _ = add_camera(db, owner["id"], "Barn", "IN-8015")
    with atomic(db):
        db.execute(
            "INSERT INTO notices (user_id, camera_id, kind, title, body, advice, evidence,"
            " created_at) VALUES (?, ?, 'long_clip', 'Barn sends long clips', 'Long clips.',"
            " '[\"Set the alarm video length to 15 s.\"]', '{}', '2026-11-25T13:05:01+00:00')",
            [owner["id"], camera["id"]],
        )
    db.close()
    app = create_app({"SETTINGS": settings, "TESTING": True})
    app.test_client_class = BufferedClient
    return app.test_client(), owner


def test_an_upgraded_catalog_takes_the_language_at_the_next_login_and_keeps_old_notices(
    upgraded,
):
    client, owner = upgraded
    client.post(
        "/login",
        data={
            "email": owner["email"],
            "password": owner["password"],
            "csrf_token": AuthActions(client).csrf(),
        },
        headers=GERMAN,
    )
    page = client.get("/dashboard").get_data(as_text=True)
    assert "<h1>Übersicht</h1>" in page
    # A notice stored before notices were worded when read keeps its English words.
    assert "Barn sends long clips" in page and "Set the alarm video length to 15 s." in page
