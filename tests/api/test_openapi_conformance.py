"""Schemathesis against the served OpenAPI document: generated calls (valid and invalid) with a
real token over a small world; answers must match the document and never be a server error."""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict

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
    # schemathesis also sends wrong tokens and expects 401 for each, not our 429 for guessers.
    app.config["SETTINGS"].api.auth_failures_per_minute = 100_000
    app.extensions.pop("alarmvault_api_limiters", None)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return schema


# Where a schema-valid request can still be refused for what no JSON schema can say, and the
# document says which (a documented 400/422 with the JSON error body, checked as every answer
# is): a cursor must be one the API gave out, a webhook URL must resolve to a public https
# host. Every other default check still runs on these operations.
SEMANTIC_CHECKS = {
    "GET /recordings",
    "POST /recordings/mark-reviewed",
    "POST /notifications",
}
MAX_EXAMPLES = int(os.environ.get("ALARMVAULT_API_FUZZ_EXAMPLES", "15"))


# On PostgreSQL with the control token only (the costliest test of the API, ~30 s each): it
# reaches every operation, reads included; what the read token adds is its refusals of
# control calls, which do not depend on the engine.
@pytest.mark.parametrize(
    ("catalog_engine", "scope"),
    [("sqlite", "read"), ("sqlite", "control"), ("postgresql", "control")],
    indirect=["catalog_engine"],
)
def test_the_api_answers_as_its_document_says(api_schema, alice, scope):
    """Every default check of schemathesis (``call_and_validate`` without ``checks``: server
    errors, status codes, content types, response schemas, headers, negative data accepted,
    positive data rejected, missing or ignored auth, ...), with a read and a control token."""
    # schemathesis' pytest plugin (from_fixture) does not run under pytest 9 yet, so each
    # operation's hypothesis strategy is driven here directly.
    token = alice.control_token if scope == "control" else alice.read_token
    headers = {"Authorization": f"Bearer {token}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 25
    failures = []
    statuses: dict[str, Counter[str]] = defaultdict(Counter)
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def call(case):
            excluded = (
                [schemathesis.checks.positive_data_acceptance]
                if case.operation.label in SEMANTIC_CHECKS
                else []
            )
            response = case.call_and_validate(headers=headers, excluded_checks=excluded)
            statuses[case.operation.label][str(response.status_code)] += 1

        try:
            call()
        except (Exception, BaseExceptionGroup) as error:  # reported together below
            failures.append(f"{operation.label}: {error}")
    report = os.environ.get("ALARMVAULT_API_FUZZ_REPORT")
    if report:  # scripts/api-fuzz prints it
        with open(report, "a") as handle:
            record = {"scope": scope, "statuses": statuses, "failures": failures}
            handle.write(json.dumps(record) + "\n")
    assert not failures, "\n\n".join(failures)
