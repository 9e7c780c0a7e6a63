"""Which language a page is shown in (Flask-Babel).

Templates mark text with ``{{ _("…") }}`` and Python code with ``flask_babel.gettext`` /
``lazy_gettext``; the catalogue lives in ``webui/translations/<lang>/LC_MESSAGES`` (see
`core.translation`, which words mails and notices outside a request from the same catalogue).
English is the source language, so an untranslated string shows in English rather than as a key.
"""

from __future__ import annotations

from flask import Flask, g, request
from flask_babel import Babel, get_locale

from core.translation import LANGUAGES, supported

# Each language by its own name, as the account page's choice shows it.
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch"}

babel = Babel()


def browser_language() -> str:
    """The best match for the browser's Accept-Language, else English."""
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]


def select_locale() -> str:
    """The signed-in owner's choice, else the best match for the browser, else English."""
    user = getattr(g, "user", None)
    chosen = supported(user.get("language")) if isinstance(user, dict) else None
    return chosen or browser_language()


def page_language() -> str:
    """The language this page (or mail) is rendered in, for ``<html lang>``."""
    locale = get_locale()
    return locale.language if locale else LANGUAGES[0]


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale)

    @app.context_processor
    def _languages() -> dict:
        return {
            "language_names": LANGUAGE_NAMES,
            "current_language": select_locale,
            "page_language": page_language,
        }
