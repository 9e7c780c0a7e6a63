"""One-click opt-out in the mails themselves: optional mails (alarm mails from the notification
dispatcher, fair-use notices) carry ``List-Unsubscribe`` with RFC 8058 one-click POST and a
footer link; following it switches that kind off, and the next such mail is not sent. Account
mails (confirmation, reset, e-mail change) and a suspension notice are essential: no link."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from core.catalog.accounts import mail_optout_key, set_mail_preferences
from core.catalog.notifications import add_target
from core.catalog.states import FairUseState
from core.catalog.users import get_user
from core.mail_links import mail_link_base, opt_out_url
from core.settings import settings_from_dict
from pipeline.fairuse.monitor import SYSTEM, FairUseMonitor, suspend_camera
from tests.webui.conftest import link_in

FOOTER = "Stop these mails: "


@pytest.fixture
def owner(make_user):
    return make_user("olga@example.com")


@pytest.fixture
def camera(make_camera, owner):
    return make_camera(owner, name="Porch")


def opt_out_link(mail) -> str:
    """The opt-out URL, checked to be the same in the header and in the footer line."""
    header = str(mail["List-Unsubscribe"]).strip()  # folded onto its own line when long
    assert header.startswith("<") and header.endswith(">"), header
    url = header[1:-1]
    assert str(mail["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    assert f"{FOOTER}{url}" in mail.get_content().splitlines()
    return url


def assert_no_opt_out(mail) -> None:
    assert mail["List-Unsubscribe"] is None
    assert mail["List-Unsubscribe-Post"] is None
    assert FOOTER not in mail.get_content()


def follow(app, url: str, method: str):
    """Open the link as a mail reader would: GET, or RFC 8058's POST from the mail client."""
    anonymous = app.test_client()
    path = urlsplit(url).path
    if method == "GET":
        return anonymous.get(path)
    return anonymous.post(path, data={"List-Unsubscribe": "One-Click"})


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_alarm_mail_carries_the_link_and_following_it_stops_the_next_one(
    app, catalog, settings, dispatcher, index_recording_row, owner, camera, outbox, method
):
    set_mail_preferences(catalog, owner["id"], alarms=True)
    add_target(catalog, owner["id"], kind="email", name="mail", events=["recording"])
    index_recording_row(camera)
    assert dispatcher.run_once() == (1, 1)

    [mail] = outbox()
    assert mail["To"] == owner["email"]
    url = opt_out_link(mail)
    key = mail_optout_key(catalog, owner["id"])
    assert url == f"http://{settings.web.listen}/mail/opt-out/{key}/alarms"

    response = follow(app, url, method)
    assert response.status_code == 200
    assert b"no more alarm notices" in response.data
    user = get_user(catalog, owner["id"])
    assert (user["mail_alarms"], user["mail_fairuse"]) == (0, 1)  # only the kind in the link

    index_recording_row(camera)
    assert dispatcher.run_once() == (1, 0)
    assert len(outbox()) == 1
    [_, skipped] = catalog.query("SELECT * FROM notification_deliveries ORDER BY id")
    assert skipped["state"] == "failed"
    assert "switched off" in skipped["last_error"]


def test_alarm_mails_are_off_until_chosen(
    catalog, dispatcher, index_recording_row, owner, camera, outbox
):
    add_target(catalog, owner["id"], kind="email", name="mail", events=["recording"])
    index_recording_row(camera)
    dispatcher.run_once()
    assert outbox() == []  # the account page's choice is off by default
    set_mail_preferences(catalog, owner["id"], alarms=True)
    index_recording_row(camera)
    dispatcher.run_once()
    [mail] = outbox()
    assert opt_out_link(mail).endswith("/alarms")


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_fair_use_notice_carries_the_link_and_following_it_stops_the_next_one(
    app, catalog, settings, owner, camera, outbox, method
):
    monitor = FairUseMonitor(catalog, settings)
    now = datetime.now(UTC)
    monitor.step(camera, FairUseState.OK, FairUseState.WARNED, [], SYSTEM, now)
    [warning] = [mail for mail in outbox() if mail["To"] == owner["email"]]
    url = opt_out_link(warning)
    assert url.endswith("/fairuse")

    response = follow(app, url, method)
    assert response.status_code == 200
    assert b"no more fair-use notices" in response.data
    assert get_user(catalog, owner["id"])["mail_fairuse"] == 0

    monitor.step(
        camera, FairUseState.WARNED, FairUseState.THROTTLED, [], SYSTEM, now + timedelta(hours=1)
    )
    assert [mail["Subject"] for mail in outbox() if mail["To"] == owner["email"]] == [
        warning["Subject"]
    ]

    # A suspension refuses the camera's uploads: the owner is told whatever they chose, and
    # since it cannot be switched off, the mail offers no opt-out.
    suspend_camera(catalog, settings, camera["id"], now + timedelta(hours=2))
    [suspended] = [
        mail
        for mail in outbox()
        if mail["To"] == owner["email"] and "suspended" in str(mail["Subject"])
    ]
    assert_no_opt_out(suspended)


def test_admin_copies_of_fair_use_notices_carry_no_opt_out(
    catalog, settings, make_user, camera, outbox
):
    admin = make_user("admin@example.com", is_admin=True)
    FairUseMonitor(catalog, settings).step(
        camera, FairUseState.OK, FairUseState.WARNED, [], SYSTEM, datetime.now(UTC)
    )
    [copy] = [mail for mail in outbox() if mail["To"] == admin["email"]]
    assert_no_opt_out(copy)


def test_account_mails_carry_no_opt_out(client, auth, logged_in_owner, owner, outbox):
    logged_in_owner.post(
        "/account/email", {"email": "olga.new@example.com", "current_password": owner["password"]}
    )
    logged_in_owner.logout()
    client.post("/reset", data={"email": owner["email"], "csrf_token": auth.csrf("/reset")})
    client.post(
        "/register",
        data={
            "email": "new@example.com",
            "password": "long enough 1",
            "password2": "long enough 1",
            "csrf_token": auth.csrf("/register"),
        },
    )
    mails = {str(mail["To"]): mail for mail in outbox()}
    assert len(mails) == 3
    link_in(mails["olga.new@example.com"], "/account/email/")
    link_in(mails[owner["email"]], "/reset/")
    link_in(mails["new@example.com"], "/confirm/")
    for mail in mails.values():
        assert_no_opt_out(mail)


@pytest.fixture
def logged_in_owner(auth, owner):
    auth.login_as(owner)
    return auth


def test_links_point_to_the_public_url_else_the_listen_address(
    settings_dict, tmp_path, catalog, owner
):
    public = settings_from_dict(
        {**settings_dict, "web": {**settings_dict["web"], "public_url": "https://cams.example/"}},
        tmp_path,
    )
    key = mail_optout_key(catalog, owner["id"])
    assert opt_out_url(catalog, public, owner["id"], "fairuse") == (
        f"https://cams.example/mail/opt-out/{key}/fairuse"
    )
    everywhere = settings_from_dict({**settings_dict, "web": {"listen": "0.0.0.0:8080"}}, tmp_path)
    assert mail_link_base(everywhere) == f"http://{socket.getfqdn()}:8080"
    with pytest.raises(ValueError, match="unknown mail kind"):
        opt_out_url(catalog, public, owner["id"], "newsletter")
