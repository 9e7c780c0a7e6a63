"""Request bodies and query strings, validated by pydantic models (unknown keys refused)."""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from flask import request
from pydantic import BaseModel, ConfigDict

from webui.api.errors import fail

Model = TypeVar("Model", bound=BaseModel)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def parse_body(model: type[Model]) -> Model:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        fail(400, "bad_request", "send a JSON object with Content-Type: application/json")
    return model.model_validate(data)


def query_int(name: str, default: int | None, low: int, high: int) -> int | None:
    text = request.args.get(name)
    if text is None or text == "":
        return default
    if not text.isdecimal() or len(text) > 19 or not low <= int(text) <= high:
        fail(400, "bad_request", f"'{name}' must be a whole number from {low} to {high}")
    return int(text)


def query_date(name: str) -> date | None:
    text = request.args.get(name)
    if not text:
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        fail(400, "bad_request", f"'{name}' must be a date YYYY-MM-DD")


def query_text(name: str, max_length: int = 64) -> str | None:
    text = request.args.get(name)
    if text is None or text == "":
        return None
    if len(text) > max_length:
        fail(400, "bad_request", f"'{name}' is too long")
    return text
