"""The caller's own API tokens: who am I, list, revoke (tokens are made in the UI or CLI)."""

from __future__ import annotations

import logging

from flask import g, jsonify

from core.catalog.tokens import list_tokens, revoke_token
from webui.api.blueprints import v1
from webui.api.token_auth import api_user_id
from webui.db import get_db
from webui.formatting import api_time
from webui.ownership import token_or_404

logger = logging.getLogger(__name__)


def token_json(row: dict) -> dict:
    return {
        "id": row["id"],
        "name": row["name"],
        "hint": row["hint"],
        "scope": row["scope"],
        "created_at": api_time(row["created_at"]),
        "last_used_at": api_time(row["last_used_at"]),
        "revoked_at": api_time(row["revoked_at"]),
    }


@v1.get("/me")
def who_am_i():
    token = g.api_token
    return jsonify(
        {
            "user_id": token["user_id"],
            "token": {"id": token["id"], "name": token["name"], "scope": token["scope"]},
        }
    )


@v1.get("/tokens")
def list_own_tokens():
    return jsonify({"items": [token_json(row) for row in list_tokens(get_db(), api_user_id())]})


@v1.delete("/tokens/<id:token_id>")
def revoke_own_token(token_id: int):
    """Any token may revoke its owner's tokens (a leaked read token can at least be killed)."""
    token_or_404(token_id)
    revoke_token(get_db(), token_id, api_user_id())
    logger.info("api: token %d revoked by its owner", token_id)
    return "", 204
