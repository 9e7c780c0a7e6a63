"""Every URL that names a row (UI and API) takes the id through the one ``id`` converter:
0, 2**63 and a 20-digit number match no route and answer 404 (the UI's 404 page, the API's JSON
error), never a 500. The routes come from ``app.url_map``, so a new one is covered here without
anyone adding it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from werkzeug.exceptions import NotFound
from werkzeug.routing import Rule

from core.catalog import MAX_ID
from core.catalog.tokens import create_token
from tests.webui.conftest import AuthActions
from webui.api.openapi import PATHS

ROW_ID_ARGUMENT = re.compile(r"(?:^|_)id$")
PLACEHOLDER = re.compile(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>")
OUT_OF_RANGE = ["0", str(2**63), "99999999999999999999"]
API_PREFIX = "/api/v1/"


def _id_arguments(rule: Rule) -> list[str]:
    return sorted(name for name in rule.arguments if ROW_ID_ARGUMENT.search(name))


def _url(rule: Rule, argument: str, value: str) -> str:
    return PLACEHOLDER.sub(lambda match: value if match[1] == argument else "1", rule.rule)


def id_urls(app, value: str) -> Iterator[tuple[str, str, str]]:
    """(method, url, template) for each id argument of each route, that argument set to
    ``value`` and every other argument to a valid 1."""
    for rule in app.url_map.iter_rules():
        for argument in _id_arguments(rule):
            url = _url(rule, argument, value)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, url, rule.rule


@pytest.fixture
def caller(app, make_user, catalog):
    """Calls as an admin (the views that check a role are reached too): pages with the session
    and a CSRF token, the API with a control token."""
    admin = make_user("admin@example.com", is_admin=True)
    token = create_token(catalog, admin["id"], "all", "control")[1]
    client = app.test_client()
    auth = AuthActions(client)
    auth.login_as(admin)

    def _call(method: str, url: str):
        if url.startswith(API_PREFIX):
            headers = {"Authorization": f"Bearer {token}"}
            return client.open(url, method=method, headers=headers, json={})
        data = {} if method == "GET" else {"csrf_token": auth.csrf()}
        return client.open(url, method=method, data=data)

    return _call


def test_every_row_id_in_a_url_uses_the_id_converter(app):
    routes = [rule for rule in app.url_map.iter_rules() if _id_arguments(rule)]
    assert any(rule.rule.startswith(API_PREFIX) for rule in routes)
    assert any(not rule.rule.startswith(API_PREFIX) for rule in routes)
    wrong = [
        f"{rule.rule}: {name}"
        for rule in routes
        for name in _id_arguments(rule)
        if f"<id:{name}>" not in rule.rule
    ]
    assert not wrong, wrong


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_an_id_outside_sqlites_range_is_404_on_every_route(app, caller, value):
    failures = []
    for method, url, _ in id_urls(app, value):
        response = caller(method, url)
        if response.status_code != 404:
            failures.append(f"{method} {url}: {response.status_code}")
        elif url.startswith(API_PREFIX):
            if not response.is_json or response.json["error"] != "not_found":
                failures.append(f"{method} {url}: not the API's JSON error")
        elif response.mimetype != "text/html":
            failures.append(f"{method} {url}: not the 404 page ({response.mimetype})")
    assert not failures, "\n".join(failures)


def test_the_largest_id_reaches_the_view_and_is_not_found(app, caller):
    """2**63-1 is still an id: the view runs, SQLite takes the number, nothing is there."""
    failures = []
    for method, url, template in id_urls(app, str(MAX_ID)):
        response = caller(method, url)
        # A signed download without its signature is refused before the lookup.
        expected = 403 if template.startswith(f"{API_PREFIX}downloads/") else 404
        if response.status_code != expected:
            failures.append(f"{method} {url}: {response.status_code}, not {expected}")
        elif url.startswith(API_PREFIX) and not response.is_json:
            failures.append(f"{method} {url}: not the API's JSON error")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("text", "routed"),
    [
        ("1", True),
        ("10", True),
        ("922337203685477580", True),
        ("9223372036854775799", True),
        (str(MAX_ID - 1), True),
        (str(MAX_ID), True),
        ("0", False),
        ("01", False),
        (str(MAX_ID + 1), False),
        ("9223372036854775810", False),
        ("9999999999999999999", False),
        ("10000000000000000000", False),
        ("-1", False),
        ("1e3", False),
    ],
)
def test_the_id_converter_takes_exactly_sqlites_row_ids(app, text, routed):
    urls = app.url_map.bind("localhost")
    if routed:
        assert urls.match(f"/cameras/{text}") == ("cameras.detail", {"camera_id": int(text)})
    else:
        with pytest.raises(NotFound):
            urls.match(f"/cameras/{text}")


def test_recording_ids_past_sqlites_range_in_a_form_are_ignored(app, make_user, client):
    auth = AuthActions(client)
    auth.login_as(make_user())
    response = auth.post(
        "/recordings/bulk",
        {"ids": ["99999999999999999999", "0"], "action": "delete"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Please select recordings first." in response.get_data(as_text=True)


def test_the_api_document_gives_every_id_the_converters_range():
    ids = [
        (f"{method.upper()} {path}", param)
        for path, item in PATHS.items()
        for method, operation in item.items()
        for param in operation["parameters"]
        if ROW_ID_ARGUMENT.search(param["name"])
    ]
    assert len(ids) > 20
    expected = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    wrong = [f"{where}: {param['name']}" for where, param in ids if param["schema"] != expected]
    assert not wrong, wrong
