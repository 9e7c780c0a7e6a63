"""AlarmVault's customer web UI: a Flask app factory, one blueprint per area.

Run it with ``python -m webui [--config PATH]`` (waitress); tests call ``create_app`` with a
``test_config`` holding ``SETTINGS``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import Flask, g, redirect, request, url_for
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from core.catalog import open_catalog
from core.proxy_hint import note_forwarded_request
from core.settings import Settings, load_settings
from webui import (
    account,
    admin,
    api,
    app_shell,
    auth,
    cameras,
    dashboard,
    i18n,
    push_devices,
    recordings,
    statistics,
    viewer_zone,
)
from webui.db import close_db
from webui.formatting import register_filters
from webui.ids import IdConverter
from webui.secret_key import load_secret_key
from webui.session_cookie import TlsAwareSessionInterface

logger = logging.getLogger(__name__)

# Every area of the UI; a new one (e.g. the REST API in webui/api) is one more line here.
BLUEPRINTS = [
    auth.bp,
    dashboard.bp,
    recordings.bp,
    cameras.bp,
    account.bp,
    admin.bp,
    api.bp,
    viewer_zone.bp,
    push_devices.bp,
    app_shell.bp,
    statistics.bp,
]

csrf = CSRFProtect()


def _index():
    return redirect(url_for("dashboard.index" if g.user else "auth.login"))


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``test_config`` may carry ``SETTINGS`` (a `Settings`) and Flask keys."""
    app = Flask(__name__)
    test_config = dict(test_config or {})
    settings: Settings = test_config.pop("SETTINGS", None) or load_settings()
    app.config.from_mapping(
        SETTINGS=settings,
        SECRET_KEY=load_secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="alarmvault_session",
        SESSION_COOKIE_SECURE=bool(
            settings.web.public_url and settings.web.public_url.startswith("https:")
        ),
        PERMANENT_SESSION_LIFETIME=timedelta(days=settings.web.session_days),
        MAX_CONTENT_LENGTH=1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        SEND_FILE_MAX_AGE_DEFAULT=0,
    )
    app.config.update(test_config)
    app.session_interface = TlsAwareSessionInterface()
    if settings.web.trusted_proxies:
        hops = settings.web.trusted_proxies
        # Flask's documented way to wrap the WSGI app; mypy sees a method being replaced.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )

    # Migrations run once here; requests open the catalog without migrating.
    open_catalog(settings.storage.catalog_path).close()

    csrf.init_app(app)
    i18n.init_app(app)
    # RFC 8058 one-click opt-out: mail clients POST to the link from the mail, without a form.
    csrf.exempt("webui.account.mail_opt_out")
    app.teardown_appcontext(close_db)
    # Before the blueprints: their rules are compiled with the converters known at registration.
    app.url_map.converters["id"] = IdConverter
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.add_url_rule("/", "index", _index)

    if not settings.web.trusted_proxies:

        @app.before_request
        def _notice_untrusted_proxy() -> None:
            if "X-Forwarded-For" in request.headers and request.remote_addr in ("127.0.0.1", "::1"):
                note_forwarded_request(settings)

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; media-src 'self'; "
            "style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        )
        return response

    register_filters(app)
    return app
