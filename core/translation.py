"""Words in the reader's language where no web request is: mails and notices from the pipeline.

There is one catalogue for every package, ``webui/translations/<lang>/LC_MESSAGES/messages``
(Flask-Babel reads it for the pages; ``make translations`` extracts, updates and compiles it).
English is the source language: a message id is the English text, so a missing translation
reads in English.

What is stored to be shown later (a notice) is kept as `Phrase`s, message ids with their
values, and worded only when someone reads it, in that reader's language.
"""

from __future__ import annotations

import gettext
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from babel.support import Translations

# The languages with a complete catalogue; the first is the source language.
LANGUAGES = ("en", "de")
CATALOGUE_DIR = Path(__file__).resolve().parent.parent / "webui" / "translations"
ENGLISH = gettext.NullTranslations()


def N_(message: str) -> str:
    """Marks a message id for ``make translations`` where it is defined; worded later."""
    return message


def supported(language: str | None) -> str | None:
    """``language`` if it has a catalogue, else None (an old row, a removed language)."""
    return language if language in LANGUAGES else None


@cache
def translations(language: str | None) -> gettext.NullTranslations:
    """The catalogue for ``language``; English (the message ids) for None or an unknown one."""
    if supported(language) in (None, LANGUAGES[0]):
        return ENGLISH
    return Translations.load(str(CATALOGUE_DIR), [str(language)])


@dataclass(frozen=True)
class Phrase:
    """A message id with its values, worded when read.

    A value may itself be a `Phrase`, or a list of them (worded and joined with "; ").
    """

    message: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def words(self, translation: gettext.NullTranslations = ENGLISH) -> str:
        text = translation.gettext(self.message)
        if not self.values:
            return text
        return text % {name: _worded(value, translation) for name, value in self.values.items()}

    def to_json(self) -> dict[str, Any]:
        return {"message": self.message, "values": {k: _to_json(v) for k, v in self.values.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Phrase:
        return cls(data["message"], {k: _from_json(v) for k, v in data.get("values", {}).items()})


def _worded(value: Any, translation: gettext.NullTranslations) -> Any:
    if isinstance(value, Phrase):
        return value.words(translation)
    if isinstance(value, list):
        return "; ".join(str(_worded(item, translation)) for item in value)
    return value


def _to_json(value: Any) -> Any:
    if isinstance(value, Phrase):
        return value.to_json()
    if isinstance(value, list):
        return [_to_json(item) for item in value]
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict) and "message" in value:
        return Phrase.from_json(value)
    if isinstance(value, list):
        return [_from_json(item) for item in value]
    return value
