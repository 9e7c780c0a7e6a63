"""Issue 15, item 10: an e-mail field takes exactly one address, never a list of mailboxes."""

from __future__ import annotations

import pytest

from core.catalog.users import add_user, find_user_by_email, get_user
from core.mailer import MailError, send_mail
from tests.webui.conftest import AuthActions

LISTS = [
    "victim@example.com, attacker@evil.example",
    "victim@example.com;attacker@evil.example",
    "Victim <victim@example.com>, attacker@evil.example",
    "victim@example.com attacker@evil.example",
    '"a,b"@example.com',
]


@pytest.mark.parametrize("email", LISTS)
def test_registering_with_a_list_of_addresses_is_refused_and_mails_nobody(
    client, auth, outbox, catalog, email
):
    response = client.post(
        "/register",
        data={
            "email": email,
            "password": "long enough 1",
            "password2": "long enough 1",
            "csrf_token": auth.csrf("/register"),
        },
    )

    assert response.status_code == 400
    assert b"one address" in response.data
    assert outbox() == []
    assert catalog.execute("SELECT count(*) FROM users").fetchone()[0] == 0


def test_changing_the_email_to_a_list_of_addresses_is_refused(client, make_user, outbox):
    owner = make_user("dora@example.com")
    auth = AuthActions(client)
    auth.login_as(owner)

    response = auth.post(
        "/account/email",
        {"email": "dora@example.com, mallory@evil.example", "current_password": owner["password"]},
    )

    assert response.status_code == 400
    assert outbox() == []


@pytest.mark.parametrize("email", LISTS)
def test_an_account_is_never_made_with_a_list_of_addresses(catalog, email):
    with pytest.raises(ValueError, match="not an e-mail address"):
        add_user(catalog, email, "long enough 1")


def test_one_plain_address_is_accepted_with_blanks_around_it_removed(catalog):
    user = add_user(catalog, "  first.last+cams@mail.example.org ", "long enough 1")
    assert get_user(catalog, user["id"])["email"] == "first.last+cams@mail.example.org"
    assert find_user_by_email(catalog, "first.last+cams@mail.example.org") is not None


def test_a_list_stored_before_the_check_is_never_mailed(settings, outbox):
    with pytest.raises(MailError, match="not one e-mail address"):
        send_mail(settings, LISTS[0], "Reset", "body", kind="reset_password")
    assert outbox() == []
