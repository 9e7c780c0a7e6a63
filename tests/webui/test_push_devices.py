"""Push notifications on the account page (subscribe this device, list, remove) and the
installable app around the pages (manifest, icons, service worker, offline page)."""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image

from core.catalog.notifications import list_web_push_targets
from core.credential_box import load_credential_box
from core.web_push import application_server_key
from tests.integrations.push_service import LocalPushService


@pytest.fixture
def settings_dict(settings_dict):
    # The local push service listens on loopback over plain http, as a LAN one would.
    settings_dict["notifications"] = {"allow_private_webhook_targets": True}
    return settings_dict


@pytest.fixture
def push_service():
    # Only hands out subscriptions here (nothing is pushed): no need to serve.
    return LocalPushService()


@pytest.fixture(autouse=True)
def _close_push_service(push_service):
    yield
    push_service._server.server_close()


@pytest.fixture
def owner(make_user):
    return make_user("erin@example.com")


def page_token(client) -> str:
    html = client.get("/account").get_data(as_text=True)
    return re.search(r'data-csrf="([^"]+)"', html).group(1)


def subscribe(client, subscription: dict, name: str | None = None):
    body = {"subscription": subscription, **({"name": name} if name else {})}
    return client.post(
        "/account/push-devices",
        data=json.dumps(body),
        content_type="application/json",
        headers={"X-CSRFToken": page_token(client)},
    )


def test_a_device_subscribes_shows_on_the_account_page_and_unsubscribes(
    client, auth, owner, catalog, settings, push_service
):
    auth.login_as(owner)
    page = client.get("/account").get_data(as_text=True)
    assert f'data-push-key="{application_server_key(settings)}"' in page
    device = push_service.subscribe(application_server_key(settings))

    created = subscribe(client, device.as_json(), "Erin's phone")
    assert created.status_code == 201
    again = subscribe(client, device.as_json())
    assert again.status_code == 200
    assert again.json["id"] == created.json["id"]  # one target per device

    [target] = list_web_push_targets(catalog, owner["id"])
    assert target["name"] == "Erin's phone"
    sealed = load_credential_box(settings).open(target["sealed_url"])
    assert sealed["url"] == device.endpoint
    page = client.get("/account").get_data(as_text=True)
    assert "Erin&#39;s phone" in page
    assert device.endpoint not in page  # the endpoint is a capability: never shown

    gone = client.post(
        "/account/push-devices/unsubscribe",
        data=json.dumps({"endpoint": device.endpoint}),
        content_type="application/json",
        headers={"X-CSRFToken": page_token(client)},
    )
    assert gone.status_code == 200
    assert list_web_push_targets(catalog, owner["id"]) == []


def test_a_subscription_needs_the_csrf_token_and_a_login(client, auth, owner, push_service):
    device = push_service.subscribe()
    anonymous = client.post("/account/push-devices", json={"subscription": device.as_json()})
    assert anonymous.status_code in (302, 400)
    auth.login_as(owner)
    forged = client.post("/account/push-devices", json={"subscription": device.as_json()})
    assert forged.status_code == 400


def test_a_broken_subscription_is_refused_with_the_reason_and_nothing_stored(
    client, auth, owner, catalog, push_service
):
    auth.login_as(owner)
    broken = push_service.subscribe().as_json()
    broken["keys"]["auth"] = "too-short"
    answer = subscribe(client, broken)
    assert answer.status_code == 400
    assert "auth key" in answer.json["error"]
    assert list_web_push_targets(catalog, owner["id"]) == []


def test_devices_are_removed_from_the_list_only_by_their_owner(
    client, auth, owner, make_user, catalog, settings, push_service
):
    auth.login_as(owner)
    subscribe(client, push_service.subscribe().as_json(), "old phone")
    [target] = list_web_push_targets(catalog, owner["id"])
    auth.logout()

    stranger = make_user()
    auth.login_as(stranger)
    assert auth.post(f"/account/push-devices/{target['id']}/remove").status_code == 404
    assert list_web_push_targets(catalog, owner["id"]) != []
    auth.logout()

    auth.login_as(owner)
    removed = auth.post(f"/account/push-devices/{target['id']}/remove")
    assert removed.status_code == 302
    assert list_web_push_targets(catalog, owner["id"]) == []


def test_the_manifest_names_the_app_and_its_icons_are_real_pngs_of_their_size(client):
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    data = manifest.json
    assert data["name"] == "AlarmVault"
    assert data["display"] == "standalone"
    sizes = set()
    for icon in data["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200, icon["src"]
        if icon["type"] == "image/png":
            picture = Image.open(io.BytesIO(response.data))
            assert picture.format == "PNG"
            assert f"{picture.width}x{picture.height}" == icon["sizes"]
            sizes.add(icon["sizes"])
    assert {"192x192", "512x512"} <= sizes  # what browsers need to offer installing


def test_the_service_worker_caches_only_public_files(client, auth, owner):
    worker = client.get("/service-worker.js")
    assert worker.status_code == 200
    assert worker.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in worker.headers["Cache-Control"]
    script = worker.get_data(as_text=True)
    shell = json.loads(
        re.search(r"const SHELL = (\[[^\]]*\])", script)
        .group(1)
        .replace("OFFLINE_URL", '"/offline"')
    )
    assert "/offline" in shell
    # Everything it keeps is served to anybody: no page or picture of an account.
    for path in shell:
        assert client.get(path).status_code == 200, path


def test_the_offline_page_holds_nothing_of_the_account(client, auth, owner):
    auth.login_as(owner)
    page = client.get("/offline").get_data(as_text=True)
    assert "You are offline" in page
    assert owner["email"] not in page
    assert "/recordings" not in page


def test_a_test_notification_reaches_the_device_and_only_its_owner_can_send_one(
    client, auth, owner, make_user, catalog, settings
):
    from pipeline.integrations.dispatcher import NotificationDispatcher

    service = LocalPushService().start()
    dispatcher = NotificationDispatcher(settings, db=catalog)
    try:
        auth.login_as(owner)
        device = service.subscribe(application_server_key(settings))
        target_id = subscribe(client, device.as_json(), "kitchen tablet").json["id"]
        auth.logout()
        auth.login_as(make_user())
        assert auth.post(f"/account/push-devices/{target_id}/test").status_code == 404
        auth.logout()

        auth.login_as(owner)
        sent = auth.post(f"/account/push-devices/{target_id}/test", follow_redirects=True)
        assert "A test notification is on its way to kitchen tablet." in sent.get_data(as_text=True)
        assert dispatcher.run_once() == (0, 1)
        [push] = service.received
        assert push.message["camera"] == "Test camera"  # the account has no recording yet
        assert push.message["title"] == "Test: Test camera"  # not to be taken for an alarm
    finally:
        dispatcher.stop()
        service.stop()
