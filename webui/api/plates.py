"""Named plates: the plates an owner knows ("our car"); recordings and notifications show the
name, and notification targets can ask for unknown or named plates (see `core.catalog.plates`).
Plate text is never logged here: it is about other people."""

from __future__ import annotations

import logging

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
