"""The installable web app around the pages: the manifest, the service worker and the page
it shows when the network is gone.

The worker is served from the site's root (its scope is the whole site) and caches only the
offline page and what that page needs; recordings, clips and every other private page always
come from the server.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template, send_from_directory, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

bp = Blueprint("app_shell", __name__)

# Light and dark: the address bar follows the system's scheme (see style.css's --bar).
THEME_COLOR = "#16202f"
ICON_SIZES = (192, 512)


@bp.route("/manifest.webmanifest")
def manifest():
    icons = [
        {
            "src": url_for("static", filename=f"icons/icon-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "any",
        }
        for size in ICON_SIZES
    ]
    icons.append(
        {
            "src": url_for("static", filename="icons/icon-maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        }
    )
    icons.append(
        {
            "src": url_for("static", filename="icons/icon.svg"),
            "sizes": "any",
            "type": "image/svg+xml",
        }
    )
    response = jsonify(
        {
            "name": "AlarmVault",
            "short_name": "AlarmVault",
            "description": _("Your cameras' alarm recordings"),
            "id": url_for("index"),
            "start_url": url_for("index"),
            "scope": "/",
            "display": "standalone",
            "orientation": "any",
            "theme_color": THEME_COLOR,
            "background_color": THEME_COLOR,
            "icons": icons,
        }
    )
    response.mimetype = "application/manifest+json"
    return response


@bp.route("/service-worker.js")
def service_worker():
    static_folder = current_app.static_folder
    assert static_folder is not None  # Flask's default: webui/static
    response = send_from_directory(static_folder, "service-worker.js", max_age=0)
    response.mimetype = "text/javascript"
    # A new worker must be picked up at the next visit, never from an HTTP cache.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.route("/offline")
def offline():
    """What the worker shows when a page cannot be loaded: no account data, so it may be kept."""
    page = render_template("offline.html", language=str(get_locale() or "en"))
    response = current_app.make_response(page)
    response.headers["Cache-Control"] = "no-cache"
    return response
