"""Schemathesis drives every operation of the OpenAPI schema with generated requests, as an
Analyst: no answer may be a server error, and every documented answer must match the schema."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from incidents.tokens import api_token_issue
from tracker.wsgi import application

# Bounded: a few examples per operation keep `make test` quick while covering every operation.
EXAMPLES_PER_OPERATION = 12


@pytest.fixture
def api_schema(db):
    # As Django's test client does: requests must not close the test's database connection.
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi("/api/v1/schema/", application)
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_answers_within_its_schema_and_never_with_a_server_error(case, analyst, seeded):
    _, key = api_token_issue(user=analyst)
    response = case.call(headers={"Authorization": f"Token {key}"})
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:500]}"
    case.validate_response(response, checks=[response_schema_conformance, content_type_conformance])
