"""Schemathesis against the served OpenAPI document: generated calls (valid and invalid) with a
real token over a small world; answers must match the document and never be a server error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from core.catalog.notifications import add_target


@pytest.fixture
def api_schema(app, catalog, alice, store_recording):
    store_recording(alice.camera, poster=False)
    add_target(catalog, alice.user["id"], kind="email", name="mail")
    app.config["SETTINGS"].api.requests_per_minute = 100_000
    app.config["SETTINGS"].api.control_per_minute = 100_000
    app.extensions.pop("alarmvault_api_limiters", None)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.config.headers = {"Authorization": f"Bearer {alice.control_token}"}
    return schema


CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


def test_the_api_answers_as_its_document_says(api_schema, alice):
    # schemathesis' pytest plugin (from_fixture) does not run under pytest 9 yet, so each
    # operation's hypothesis strategy is driven here directly.
    headers = {"Authorization": f"Bearer {alice.control_token}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 25
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def call(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        call()
