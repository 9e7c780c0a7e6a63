"""Named plates: the plates an owner knows ("our car"); recordings and notifications show the
name, and notification targets can ask for unknown or named plates (see `core.catalog.plates`).
Plate text is never logged here: it is about other people."""

from __future__ import annotations

import logging
import re

from flask import jsonify
from pydantic import Field

from core.catalog import NotFound
from core.catalog import plates as known
from webui.api.blueprints import v1
from webui.api.bodies import Body, parse_body
from webui.api.errors import fail, not_found
from webui.api.token_auth import api_user_id, require_scope
from webui.db import get_db

logger = logging.getLogger(__name__)

# Two ASCII letters or digits (what normalising keeps), and a name that is not only spaces.
PLATE_TEXT_PATTERN = r"[A-Za-z0-9].*[A-Za-z0-9]"
PLATE_NAME_PATTERN = r"\S"


class KnownPlateBody(Body):
    text: str = Field(max_length=24)
    name: str = Field(max_length=known.MAX_NAME_LENGTH)


@v1.get("/plates")
def list_known_plates():
    return jsonify({"items": known.list_known_plates(get_db(), api_user_id())})


@v1.post("/plates")
@require_scope("control")
def name_plate():
    body = parse_body(KnownPlateBody)
    # The document's patterns, checked as written there (a plate keeps only A-Z and 0-9).
    if not re.search(PLATE_TEXT_PATTERN, body.text):
        fail(422, "invalid_request", "text: a plate needs at least two letters or digits")
    if not re.search(PLATE_NAME_PATTERN, body.name):
        fail(422, "invalid_request", "name: a named plate needs a name")
    try:
        plate = known.add_known_plate(get_db(), api_user_id(), body.text, body.name)
    except ValueError as error:
        fail(422, "invalid_request", str(error))
    except known.TooManyKnownPlates as error:
        fail(409, "too_many", str(error))
    logger.info("api: named plate %d saved", plate["id"])
    return jsonify(plate), 201


@v1.delete("/plates/<id:plate_id>")
@require_scope("control")
def forget_plate(plate_id: int):
    try:
        known.delete_known_plate(get_db(), api_user_id(), plate_id)
    except NotFound:
        not_found("named plate")
    logger.info("api: named plate %d removed", plate_id)
    return "", 204
