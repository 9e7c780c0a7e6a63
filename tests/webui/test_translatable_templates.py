"""Every text a reader sees in a template goes through ``_()``, so the German catalogue can
cover it: the templates are lexed by Jinja, every expression and tag replaced by a neutral
placeholder, and what remains parsed as HTML (mails: as text). A text node or a readable
attribute (title, alt, aria-label, placeholder, data-confirm) that still has letters is English
outside the catalogue."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import jinja2
import pytest

from tests.conftest import REPO

TEMPLATE_ROOTS = [REPO / "webui" / "templates", REPO / "webui" / "api" / "templates"]
# Names that read the same in every language.
BRAND_NAMES = {
    "AlarmVault",
    "INSTAR",
    "FTP",
    "JPEG",
    "FTPS",
    "sFTP",
    "API",
    "JSON",
    "MQTT",
    "IFTTT",
    "Webhook",
    "English",
    "Deutsch",
    "Home",
    "Assistant",
}
READABLE_ATTRIBUTES = {"title", "alt", "aria-label", "placeholder", "data-confirm", "label"}
PLACEHOLDER = "\x00"
_LETTERS = re.compile(r"[^\W\d_]{2,}")


def templates() -> list[tuple[Path, str]]:
    found = []
    for root in TEMPLATE_ROOTS:
        for path in sorted(root.rglob("*")):
            if path.suffix in (".html", ".txt"):
                found.append((path, path.relative_to(root).as_posix()))
    return found


def without_jinja(source: str) -> str:
    """The template's literal text; each ``{{ … }}`` a placeholder, each ``{% … %}`` and
    comment nothing, and text inside ``{% trans %}`` blocks (translated) dropped."""
    environment = jinja2.Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    out: list[str] = []
    in_trans = False
    first_name_of_block = False
    for _line, token, value in environment.lex(source):
        if token == "block_begin":
            first_name_of_block = True
        elif token == "name" and first_name_of_block:
            first_name_of_block = False
            if value in ("trans", "endtrans"):
                in_trans = value == "trans"
        elif token == "variable_begin":
            out.append(PLACEHOLDER)
        elif token == "data" and not in_trans:
            out.append(value)
    return "".join(out)


def english_words(text: str) -> list[str]:
    words = _LETTERS.findall(text.replace(PLACEHOLDER, " "))
    return [word for word in words if word not in BRAND_NAMES]


def shown(text: str) -> str:
    """The text as a failure shows it: each expression as …, white space collapsed."""
    return " ".join(text.replace(PLACEHOLDER, "…").split())


class _TextFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        for name, value in attrs:
            if name in READABLE_ATTRIBUTES and value and english_words(value):
                self.found.append(f"<{tag} {name}={shown(value)!r}>")
        if tag == "input" and dict(attrs).get("type") in ("submit", "button"):
            value = dict(attrs).get("value") or ""
            if english_words(value):
                self.found.append(f"<input value={shown(value)!r}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and english_words(data):
            self.found.append(shown(data))


def untranslated(path: Path) -> list[str]:
    text = without_jinja(path.read_text(encoding="utf-8"))
    if path.suffix == ".txt":
        return [shown(line) for line in text.splitlines() if english_words(line)]
    finder = _TextFinder()
    finder.feed(text)
    finder.close()
    return finder.found


@pytest.mark.parametrize(
    ("path", "name"),
    templates(),
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_template_shows_no_english_outside_the_catalogue(path, name):
    assert untranslated(path) == [], f"{name}: wrap these in {{{{ _('…') }}}}"


def test_the_check_finds_plain_text_and_readable_attributes_but_not_marked_text(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '<h1>{{ _("Cameras") }}</h1><p>Last alarm: {{ when }}</p>'
        '<img alt="Best frame" src="{{ url }}"><a title="{{ _("Open") }}">AlarmVault</a>'
        "{% trans %}Hello {{ name }}{% endtrans %}{# a comment #}",
        encoding="utf-8",
    )
    assert untranslated(page) == ["Last alarm: …", "<img alt='Best frame'>"]
