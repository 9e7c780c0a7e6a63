"""API errors: always JSON ``{"error": code, "message": text}`` with the right status."""

from __future__ import annotations

import logging
from typing import NoReturn

from flask import jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from core.camera_cgi import (
    CameraError,
    CameraLoginRefused,
    CameraTimeout,
    CameraUnreachable,
)
from core.credential_box import SealBroken
from webui.api.blueprints import API_PREFIX, v1

logger = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def fail(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> NoReturn:
    raise ApiError(status, code, message, headers)


def not_found(what: str = "object") -> NoReturn:
    # The same answer for "does not exist" and "is someone else's": ids reveal nothing.
    fail(404, "not_found", f"no such {what}")


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None):
    response = jsonify({"error": code, "message": message})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


@v1.errorhandler(ApiError)
def _api_error(error: ApiError):
    return error_response(error.status, error.code, error.message, error.headers)


@v1.errorhandler(ValidationError)
def _invalid_body(error: ValidationError):
    problems = "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or 'body'}: {item['msg']}"
        for item in error.errors(include_url=False)
    )
    return error_response(422, "invalid_request", problems[:500])


@v1.errorhandler(CameraError)
def _camera_error(error: CameraError):
    if isinstance(error, CameraTimeout):
        return error_response(504, "camera_timeout", str(error))
    if isinstance(error, CameraLoginRefused):
        return error_response(502, "camera_login_refused", str(error))
    if isinstance(error, CameraUnreachable):
        return error_response(502, "camera_unreachable", str(error))
    return error_response(502, "camera_error", str(error))


@v1.errorhandler(SealBroken)
def _seal_broken(error: SealBroken):
    return error_response(
        409, "camera_access_unreadable", "the stored camera login cannot be read; store it again"
    )


@v1.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    code = (error.name or "error").lower().replace(" ", "_")
    # Keep what the error adds (a 405's Allow); the body is JSON, not werkzeug's HTML.
    headers = {name: value for name, value in error.get_headers() if name != "Content-Type"}
    return error_response(error.code or 500, code, error.description or error.name, headers)


@v1.app_errorhandler(404)
@v1.app_errorhandler(405)
def _not_found_or_not_allowed(error: HTTPException):
    """404 and 405 anywhere under the API get its JSON body, also for a URL that matches no
    route (an id out of range included): routing fails before a blueprint is chosen, so only
    an app-wide handler sees those (and Flask prefers it over v1's, being for the code)."""
    if request.path.startswith(f"{API_PREFIX}/"):
        return _http_error(error)
    return error


@v1.errorhandler(Exception)
def _unexpected(error: Exception):
    logger.error("api: unexpected error (%s)", type(error).__name__, exc_info=error)
    return error_response(500, "internal_error", "internal error")
