"""Which language a page is shown in (Flask-Babel).

Templates mark text with ``{{ _("…") }}`` and Python code with ``flask_babel.gettext`` /
``lazy_gettext``; the catalogues live in ``webui/translations/<lang>/LC_MESSAGES``. English is the
source language, so an untranslated string shows in English rather than as a key.
"""

from __future__ import annotations

from flask import Flask, g, request
from flask_babel import Babel

# The languages with a complete catalogue; the first is the source language.
LANGUAGES = ("en", "de")

babel = Babel()


def select_locale() -> str:
    """The signed-in owner's choice, else the best match for the browser, else English."""
    user = getattr(g, "user", None)
    chosen = user.get("language") if isinstance(user, dict) else None
    if chosen in LANGUAGES:
        return str(chosen)
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)
