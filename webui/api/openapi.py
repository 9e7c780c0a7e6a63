"""The OpenAPI 3 document of the API, served at ``/api/v1/openapi.json``.

Written by hand next to the routes it describes; a test checks that every route of the ``v1``
blueprint is in it and that every operation it lists exists, and schemathesis checks the
answers against it.
"""

from __future__ import annotations

from typing import Any

from flask import jsonify

from core.catalog import MAX_ID
from core.catalog.states import FairUseState, RecordingKind
from webui.api.blueprints import v1
from webui.api.plates import PLATE_NAME_PATTERN, PLATE_TEXT_PATTERN
from webui.api.token_auth import public

ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
# Times are given in the zone of the token's account (its account-page setting; UTC while it has
# none), always with the offset, so a client can compare them whatever the zone.
ZONED = "ISO 8601 with offset, in the account's time zone (UTC until one is set)"
NULLABLE_TIME = {"type": "string", "format": "date-time", "nullable": True, "description": ZONED}
TIME = {"type": "string", "format": "date-time", "description": ZONED}


def _obj(properties: dict[str, Any], required: list[str] | None = None, **extra) -> dict:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
        **extra,
    }


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    texts = {
        400: "Malformed request",
        401: "No valid API token",
        403: "Token lacks the 'control' scope, or an invalid link",
        404: "No such object (or not yours)",
        409: "Conflict (e.g. no camera login stored)",
        422: "Invalid values",
        429: "Rate limit reached (see Retry-After)",
        502: "The camera refused or could not be reached",
        503: "All threads for camera calls are busy (see Retry-After)",
        504: "The camera did not answer in time",
    }
    return {str(code): _json(_ref("Error"), texts[code]) for code in codes}


def _body(schema_name: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema_name)}}}


def _path_id(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "schema": ID, "description": description}


def _query(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


CAMERA = _path_id("camera_id", "A camera of yours")
RECORDING = _path_id("recording_id", "A recording of yours")
TARGET = _path_id("target_id", "A notification target of yours")
TOKEN = _path_id("token_id", "An API token of yours")
PLATE = _path_id("plate_id", "A plate you named")
STILL = _path_id("still_id", "A still of that recording")
CAMERA_FILTER = _query("camera_id", ID, "Only this camera")
REVIEWED_FILTER = _query(
    "reviewed",
    {"type": "string", "enum": ["true", "false"]},
    "Only reviewed (true) or not yet reviewed (false) recordings",
)
READ = (400, 401, 404, 429)
WRITE = (400, 401, 403, 404, 422, 429)
CAMERA_CALL = (*WRITE, 409, 502, 503, 504)

SCHEMAS: dict[str, dict] = {
    "Error": _obj({"error": {"type": "string"}, "message": {"type": "string"}}),
    "AlarmSettings": _obj({"armed": {"type": "boolean"}, "notify": {"type": "boolean"}}),
    "AlarmSettingsChange": _obj(
        {
            "armed": {
                "type": "boolean",
                "description": "Alarms count (and, with a stored "
                "camera login, the camera's motion detection is switched)",
            },
            "notify": {"type": "boolean", "description": "Send notifications for this camera"},
        },
        [],
        additionalProperties=False,
    ),
    "AlarmSettingsResult": _obj(
        {
            "armed": {"type": "boolean"},
            "notify": {"type": "boolean"},
            "camera_updated": {"type": "boolean"},
        }
    ),
    "Camera": _obj(
        {
            "id": ID,
            "name": {"type": "string"},
            "model": {"type": "string"},
            "enabled": {"type": "boolean"},
            "fairuse_state": {"type": "string", "enum": [s.value for s in FairUseState]},
            "keep_snapshots": {
                "type": "boolean",
                "description": "The camera's JPEG snapshots are kept as stills of its alarms"
                " (false: refused, reason snapshots_off); set on the camera page",
            },
            "alarm_settings": _ref("AlarmSettings"),
            "access": _obj(
                {
                    "stored": {"type": "boolean"},
                    "dialect": {"type": "string", "enum": ["fullhd", "wqhd"], "nullable": True},
                }
            ),
            "last_alarm_at": NULLABLE_TIME,
            "alarms_today": {"type": "integer", "minimum": 0},
        }
    ),
    "CameraList": _obj({"items": {"type": "array", "items": _ref("Camera")}}),
    "CameraAccess": _obj(
        {
            "address": {
                "type": "string",
                "minLength": 1,
                "maxLength": 200,
                "description": "host[:port] or http(s)://host[:port]",
            },
            "username": {
                "type": "string",
                "minLength": 1,
                "maxLength": 64,
                "pattern": r"^[^:\s]+$",
            },
            "password": {
                "type": "string",
                "minLength": 1,
                "maxLength": 64,
                "pattern": r"^[\x21-\x7e]+$",
            },
            "dialect": {
                "type": "string",
                "enum": ["fullhd", "wqhd"],
                "description": "Default: from the camera model",
            },
            "verify_tls": {"type": "boolean", "default": False},
        },
        ["address", "username", "password"],
        additionalProperties=False,
    ),
    "CameraAccessStored": _obj(
        {"stored": {"type": "boolean"}, "dialect": {"type": "string", "enum": ["fullhd", "wqhd"]}}
    ),
    "Switch": _obj({"enabled": {"type": "boolean"}}, additionalProperties=False),
    "Preset": _obj(
        {"number": {"type": "integer", "minimum": 0, "maximum": 7}}, additionalProperties=False
    ),
    "Area": _obj(
        {
            "enabled": {"type": "boolean"},
            "sensitivity": {"type": "integer", "minimum": 1, "maximum": 100, "nullable": True},
        },
        ["enabled"],
        additionalProperties=False,
    ),
    "ControlResult": _obj(
        {"ok": {"type": "boolean"}, "dialect": {"type": "string", "enum": ["fullhd", "wqhd"]}}
    ),
    "Recording": _obj(
        {
            "id": ID,
            "camera_id": ID,
            "camera_name": {"type": "string"},
            "started_at": TIME,
            "received_at": TIME,
            "duration_s": {"type": "number"},
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "fps": {"type": "number"},
            "codec": {"type": "string"},
            "container": {"type": "string"},
            "size_bytes": {
                "type": "integer",
                "description": "Bytes stored for this alarm: the clip and its stills",
            },
            "labels": {"type": "array", "items": {"type": "string"}},
            "analysing": {
                "type": "boolean",
                "description": "Detection has not finished: labels are still to come.",
            },
            "plates": {
                "type": "array",
                "description": "Best plate reading per vehicle (upper case, letters and digits),"
                " with the name the owner gave the plate, if any",
                "items": _obj(
                    {"text": {"type": "string"}, "name": {"type": "string", "nullable": True}}
                ),
            },
            "kind": {
                "type": "string",
                "enum": [kind.value for kind in RecordingKind],
                "description": "clip: an alarm clip (with the stills of the same alarm, if any);"
                " snapshot: only stills, the camera sent no clip of this alarm (duration 0, the"
                " size of its first still, codec and container jpeg)",
            },
            "stills": {
                "type": "array",
                "description": "JPEG snapshots of the alarm, in the order taken; each picture at"
                " /recordings/{recording_id}/stills/{still_id}",
                "items": _ref("Still"),
            },
            "released": {"type": "boolean"},
            "reviewed": {
                "type": "boolean",
                "description": "Opened in the web UI or marked reviewed (here or in the UI)",
            },
            "reviewed_at": NULLABLE_TIME,
        }
    ),
    "Still": _obj(
        {
            "id": ID,
            "taken_at": TIME,
            "width": {"type": "integer"},
            "height": {"type": "integer"},
            "size_bytes": {"type": "integer"},
        }
    ),
    "ReviewChange": _obj({"reviewed": {"type": "boolean"}}, additionalProperties=False),
    "ReviewCount": _obj(
        {"marked": {"type": "integer", "minimum": 0, "description": "Recordings newly marked"}}
    ),
    "RecordingPage": _obj(
        {
            "items": {"type": "array", "items": _ref("Recording")},
            "next_cursor": {"type": "string", "nullable": True},
        }
    ),
    "DownloadUrl": _obj(
        {"url": {"type": "string"}, "expires_at": TIME, "lifetime_s": {"type": "integer"}}
    ),
    "Event": _obj(
        {
            "recording_id": ID,
            "camera_id": ID,
            "camera_name": {"type": "string"},
            "started_at": TIME,
            "duration_s": {"type": "number"},
            "labels": {"type": "array", "items": {"type": "string"}},
        }
    ),
    "EventList": _obj({"items": {"type": "array", "items": _ref("Event")}}),
    "EventCounts": _obj(
        {
            "since": {"type": "string", "format": "date"},
            "days": {"type": "integer"},
            "items": {
                "type": "array",
                "items": _obj(
                    {
                        "camera_id": ID,
                        "day": {"type": "string", "format": "date"},
                        "count": {"type": "integer", "minimum": 1},
                    }
                ),
            },
        }
    ),
    "Storage": _obj(
        {
            "used_bytes": {"type": "integer", "minimum": 0},
            "quota_bytes": {"type": "integer", "minimum": 0},
            "used_percent": {"type": "number", "minimum": 0},
            "recordings": {"type": "integer", "minimum": 0},
            "oldest_recording_at": NULLABLE_TIME,
            "newest_recording_at": NULLABLE_TIME,
        }
    ),
    "NotificationTargetNew": _obj(
        {
            "kind": {"type": "string", "enum": ["webhook", "mqtt", "email"]},
            "name": {"type": "string", "maxLength": 80},
            "camera_id": {**ID, "nullable": True, "description": "Only this camera (null: all)"},
            "labels": {
                "type": "array",
                "maxItems": 10,
                "items": {"type": "string", "pattern": "^([a-z_]{1,32}|plate:[0-9]{1,18})$"},
                "description": "Only alarms showing one of these (e.g. person); empty: all."
                " Plate conditions: plate_unknown (a plate you have not named), plate_known"
                " (a named one), plate:ID (the named plate ID)",
            },
            "events": {
                "type": "array",
                "minItems": 1,
                "maxItems": 2,
                "items": {"type": "string", "enum": ["recording", "fairuse"]},
            },
            "url": {
                "type": "string",
                "maxLength": 2000,
                "nullable": True,
                "description": "Webhooks only: https URL that receives the POST",
            },
            "payload_style": {
                "type": "string",
                "enum": ["json", "ifttt"],
                "description": "ifttt: body {value1, value2, value3}",
            },
        },
        ["kind"],
        additionalProperties=False,
    ),
    "NotificationTarget": _obj(
        {
            "id": ID,
            "kind": {
                "type": "string",
                "enum": ["webhook", "mqtt", "email", "webpush"],
                "description": "webpush: a browser or phone subscribed on the account page",
            },
            "name": {"type": "string"},
            "camera_id": {**ID, "nullable": True},
            "labels": {"type": "array", "items": {"type": "string"}},
            "events": {"type": "array", "items": {"type": "string"}},
            "payload_style": {"type": "string", "enum": ["json", "ifttt"]},
            "url_host": {"type": "string", "nullable": True},
            "enabled": {"type": "boolean"},
            "created_at": TIME,
            "secret": {
                "type": "string",
                "description": "Webhooks, on creation only: the "
                "HMAC-SHA256 key of X-AlarmVault-Signature",
            },
            "deliveries": {"type": "array", "items": {"type": "object"}},
        },
        [
            "id",
            "kind",
            "name",
            "camera_id",
            "labels",
            "events",
            "payload_style",
            "url_host",
            "enabled",
            "created_at",
        ],
    ),
    "NotificationTargetList": _obj(
        {"items": {"type": "array", "items": _ref("NotificationTarget")}}
    ),
    "NotificationTargetChange": _obj({"enabled": {"type": "boolean"}}, additionalProperties=False),
    "Queued": _obj({"queued": {"type": "boolean"}}),
    "Token": _obj(
        {
            "id": ID,
            "name": {"type": "string"},
            "hint": {"type": "string"},
            "scope": {"type": "string", "enum": ["read", "control"]},
            "created_at": TIME,
            "last_used_at": NULLABLE_TIME,
            "revoked_at": NULLABLE_TIME,
        }
    ),
    "TokenList": _obj({"items": {"type": "array", "items": _ref("Token")}}),
    "KnownPlate": _obj(
        {
            "id": ID,
            "text": {"type": "string", "description": "Upper case, letters and digits only"},
            "name": {"type": "string"},
            "created_at": TIME,
        }
    ),
    "KnownPlateList": _obj({"items": {"type": "array", "items": _ref("KnownPlate")}}),
    "KnownPlateNew": _obj(
        {
            "text": {
                "type": "string",
                "maxLength": 24,
                "pattern": PLATE_TEXT_PATTERN,
                "description": "As printed; spaces and dashes are dropped. A plate already"
                " named (look-alikes O/0, I/1, B/8, S/5, Z/2 count as the same) is renamed",
            },
            "name": {
                "type": "string",
                "maxLength": 60,
                "pattern": PLATE_NAME_PATTERN,
                "description": "e.g. our car",
            },
        },
        additionalProperties=False,
    ),
    "Me": _obj(
        {
            "user_id": ID,
            "token": _obj(
                {
                    "id": ID,
                    "name": {"type": "string"},
                    "scope": {"type": "string", "enum": ["read", "control"]},
                }
            ),
        }
    ),
}


def _op(
    summary: str,
    ok: dict,
    errors: tuple[int, ...],
    *,
    params=(),
    body=None,
    tag="",
    security=None,
    ok_status: str = "200",
) -> dict:
    operation: dict[str, Any] = {
        "summary": summary,
        "tags": [tag] if tag else [],
        "parameters": list(params),
        "responses": {ok_status: ok, **_errors(*errors)},
    }
    if body:
        operation["requestBody"] = _body(body)
    if security is not None:
        operation["security"] = security
    return operation


NO_CONTENT = {"description": "Done"}

PATHS: dict[str, dict] = {
    "/me": {
        "get": _op("The token's account and scope", _json(_ref("Me")), (401, 429), tag="tokens")
    },
    "/cameras": {
        "get": _op(
            "Your cameras with alarm settings", _json(_ref("CameraList")), (401, 429), tag="cameras"
        )
    },
    "/cameras/{camera_id}": {
        "get": _op("One camera", _json(_ref("Camera")), READ, params=[CAMERA], tag="cameras")
    },
    "/cameras/{camera_id}/alarm-settings": {
        "patch": _op(
            "Switch alarms (armed) and notifications",
            _json(_ref("AlarmSettingsResult")),
            CAMERA_CALL,
            params=[CAMERA],
            body="AlarmSettingsChange",
            tag="cameras",
        )
    },
    "/cameras/{camera_id}/access": {
        "put": _op(
            "Store the camera's address and login (encrypted, never shown again)",
            _json(_ref("CameraAccessStored")),
            WRITE,
            params=[CAMERA],
            body="CameraAccess",
            tag="cameras",
        ),
        "delete": _op(
            "Forget the camera's address and login",
            NO_CONTENT,
            WRITE,
            params=[CAMERA],
            tag="cameras",
            ok_status="204",
        ),
    },
    "/cameras/{camera_id}/control/motion-detection": {
        "put": _op(
            "Motion detection on/off",
            _json(_ref("ControlResult")),
            CAMERA_CALL,
            params=[CAMERA],
            body="Switch",
            tag="control",
        )
    },
    "/cameras/{camera_id}/control/alarm-email": {
        "put": _op(
            "Alarm e-mail on/off",
            _json(_ref("ControlResult")),
            CAMERA_CALL,
            params=[CAMERA],
            body="Switch",
            tag="control",
        )
    },
    "/cameras/{camera_id}/control/preset": {
        "post": _op(
            "Go to a preset position (0..7)",
            _json(_ref("ControlResult")),
            CAMERA_CALL,
            params=[CAMERA],
            body="Preset",
            tag="control",
        )
    },
    "/cameras/{camera_id}/control/areas/{area}": {
        "put": _op(
            "Switch an alarm area and set its sensitivity",
            _json(_ref("ControlResult")),
            CAMERA_CALL,
            params=[
                CAMERA,
                {
                    "name": "area",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 4},
                },
            ],
            body="Area",
            tag="control",
        )
    },
    "/cameras/{camera_id}/snapshot": {
        "get": _op(
            "The camera's current picture, relayed",
            {
                "description": "JPEG",
                "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
            },
            (*READ, 409, 502, 503, 504),
            params=[CAMERA],
            tag="live",
        )
    },
    "/cameras/{camera_id}/live.mjpeg": {
        "get": _op(
            "The camera's MJPEG live stream, relayed",
            {
                "description": "MJPEG stream",
                "content": {
                    "multipart/x-mixed-replace": {"schema": {"type": "string", "format": "binary"}}
                },
            },
            (*READ, 409, 502, 503, 504),
            params=[CAMERA],
            tag="live",
        )
    },
    "/storage": {
        "get": _op(
            "Storage used, quota, oldest recording",
            _json(_ref("Storage")),
            (401, 429),
            tag="storage",
        )
    },
    "/events": {
        "get": _op(
            "Recent alarm events",
            _json(_ref("EventList")),
            READ,
            tag="events",
            params=[
                CAMERA_FILTER,
                _query(
                    "limit",
                    {"type": "integer", "minimum": 1, "maximum": 200},
                    "How many (default 20)",
                ),
            ],
        )
    },
    "/events/counts": {
        "get": _op(
            "Alarms per camera and day",
            _json(_ref("EventCounts")),
            READ,
            tag="events",
            params=[
                CAMERA_FILTER,
                _query(
                    "days",
                    {"type": "integer", "minimum": 1, "maximum": 366},
                    "Days back, today included (default 7); days of the account's time zone",
                ),
            ],
        )
    },
    "/recordings": {
        "get": _op(
            "Your recordings, newest first",
            _json(_ref("RecordingPage")),
            READ,
            tag="recordings",
            params=[
                CAMERA_FILTER,
                _query("since", {"type": "string", "format": "date"}, "From this day (UTC)"),
                _query("until", {"type": "string", "format": "date"}, "To this day, inclusive"),
                _query("label", {"type": "string", "maxLength": 32}, "Only with this label"),
                REVIEWED_FILTER,
                _query(
                    "plate",
                    {"type": "string", "maxLength": 20},
                    "Only with this plate read; spaces and dashes ignored, O/0, I/1, B/8, S/5,"
                    " Z/2 taken as the same and one missing or extra character tolerated",
                ),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "Page size"),
                _query(
                    "cursor", {"type": "string", "maxLength": 80}, "next_cursor of the last page"
                ),
            ],
        )
    },
    "/recordings/latest": {
        "get": _op(
            "The newest recording",
            _json(_ref("Recording")),
            READ,
            tag="recordings",
            params=[CAMERA_FILTER, _query("label", {"type": "string", "maxLength": 32}, "Label")],
        )
    },
    "/recordings/{recording_id}": {
        "get": _op(
            "One recording", _json(_ref("Recording")), READ, params=[RECORDING], tag="recordings"
        )
    },
    "/recordings/{recording_id}/stills/{still_id}": {
        "get": _op(
            "One still (JPEG snapshot) of a recording",
            {
                "description": "JPEG, as the camera sent it",
                "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
            },
            READ,
            params=[RECORDING, STILL],
            tag="recordings",
        )
    },
    "/recordings/{recording_id}/review": {
        "post": _op(
            "Mark one recording reviewed or not reviewed (a 'read' token may: it is the "
            "viewer's own bookkeeping)",
            _json(_ref("Recording")),
            (*READ, 422),
            params=[RECORDING],
            body="ReviewChange",
            tag="recordings",
        )
    },
    "/recordings/mark-reviewed": {
        "post": _op(
            "Mark every not yet reviewed recording the filter matches as reviewed",
            _json(_ref("ReviewCount")),
            READ,
            params=[
                CAMERA_FILTER,
                _query("since", {"type": "string", "format": "date"}, "From this day (UTC)"),
                _query("until", {"type": "string", "format": "date"}, "To this day, inclusive"),
                _query("label", {"type": "string", "maxLength": 32}, "Only with this label"),
            ],
            tag="recordings",
        )
    },
    "/recordings/{recording_id}/download-url": {
        "post": _op(
            "A short-lived signed link to download the clip",
            _json(_ref("DownloadUrl")),
            READ,
            params=[RECORDING],
            tag="recordings",
        )
    },
    "/downloads/{recording_id}": {
        "get": _op(
            "Download through a signed link (no token header)",
            {
                "description": "The clip",
                "content": {
                    media: {"schema": {"type": "string", "format": "binary"}}
                    for media in (
                        "video/mp4",
                        "video/x-msvideo",
                        "video/quicktime",
                        "application/octet-stream",
                    )
                },
            },
            (403, 404),
            params=[
                RECORDING,
                {"name": "expires", "in": "query", "required": True, "schema": {"type": "integer"}},
                {"name": "token", "in": "query", "required": True, "schema": {"type": "integer"}},
                {
                    "name": "signature",
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string"},
                },
            ],
            tag="recordings",
            security=[],
        )
    },
    "/notifications": {
        "get": _op(
            "Your notification targets",
            _json(_ref("NotificationTargetList")),
            (401, 429),
            tag="notifications",
        ),
        "post": _op(
            "Add a webhook, MQTT or e-mail notification",
            _json(_ref("NotificationTarget"), "Created (webhooks: with their secret)"),
            (*WRITE, 409),
            body="NotificationTargetNew",
            tag="notifications",
            ok_status="201",
        ),
    },
    "/notifications/{target_id}": {
        "get": _op(
            "One target with its recent deliveries",
            _json(_ref("NotificationTarget")),
            READ,
            params=[TARGET],
            tag="notifications",
        ),
        "patch": _op(
            "Switch a target on or off",
            _json(_ref("NotificationTarget")),
            WRITE,
            params=[TARGET],
            body="NotificationTargetChange",
            tag="notifications",
        ),
        "delete": _op(
            "Remove a target",
            NO_CONTENT,
            WRITE,
            params=[TARGET],
            tag="notifications",
            ok_status="204",
        ),
    },
    "/notifications/{target_id}/test": {
        "post": _op(
            "Send a test notification",
            _json(_ref("Queued"), "Queued"),
            WRITE,
            params=[TARGET],
            tag="notifications",
            ok_status="202",
        )
    },
    "/plates": {
        "get": _op("The plates you named", _json(_ref("KnownPlateList")), (401, 429), tag="plates"),
        "post": _op(
            "Name a plate (recordings and notifications then show the name)",
            _json(_ref("KnownPlate"), "Named"),
            (*WRITE, 409),
            body="KnownPlateNew",
            tag="plates",
            ok_status="201",
        ),
    },
    "/plates/{plate_id}": {
        "delete": _op(
            "Forget a plate's name",
            NO_CONTENT,
            WRITE,
            params=[PLATE],
            tag="plates",
            ok_status="204",
        )
    },
    "/tokens": {"get": _op("Your API tokens", _json(_ref("TokenList")), (401, 429), tag="tokens")},
    "/tokens/{token_id}": {
        "delete": _op(
            "Revoke one of your tokens",
            NO_CONTENT,
            READ,
            params=[TOKEN],
            tag="tokens",
            ok_status="204",
        )
    },
}


def openapi_document(server_url: str = "/api/v1") -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "AlarmVault API",
            "version": "1.0.0",
            "description": "Cameras, alarm settings, alarm events, recordings, storage, camera "
            "control and notifications. Send a personal API token (made on the Integrations "
            "page or with `alarmvault token create`) as `Authorization: Bearer <token>`. "
            "Every object is only visible to its owner; others get 404.",
        },
        "servers": [{"url": server_url}],
        "security": [{"bearerAuth": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
        },
    }


@v1.get("/openapi.json")
@public
def openapi_json():
    document = openapi_document()
    document["paths"] = {
        **PATHS,
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "OK"}},
            }
        },
    }
    return jsonify(document)
