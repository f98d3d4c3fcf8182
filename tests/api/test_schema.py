"""The API against its own OpenAPI document (schemathesis, in-process over WSGI): valid
input is accepted, never a 5xx, and every answer matches what the document says, signed in
with a key. The command line's run over the network is test_schemathesis_cli.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from portal.extensions import db
from portal.feedback import services as feedback
from tests.api.helpers import bearer, make_key
from tests.factories import CandidateFactory, make_application, make_interview

TOKEN: dict[str, str] = {}
STATEFUL_FIELDS = {"cursor", "Idempotency-Key", "starts_at", "meeting_url", "interviewer_ids",
                   "kit_id", "stage_id"}


@pytest.fixture()
def api_schema(app: Flask, ctx: Any) -> Iterator[Any]:
    """The document as the app serves it, with a key and a little of everything to read."""
    admin, token = make_key()
    application = make_application(admin)
    make_application(admin, CandidateFactory(), application.opening)
    interview = make_interview(admin, application, interviewers=[admin])
    interview.kit_id = feedback.create_starter_kit(db.session, admin, application.opening).id
    feedback.my_scorecard(db.session, admin, interview)  # a draft: its contents stay hidden
    db.session.commit()
    TOKEN["value"] = token
    limit = app.config.get("API_RATE_LIMIT")
    app.config["API_RATE_LIMIT"] = "100000 per minute"  # the run is many quick requests
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    if limit is None:
        app.config.pop("API_RATE_LIMIT")
    else:
        app.config["API_RATE_LIMIT"] = limit


def _check_operation(operation: Any, token: str, mode: Any) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=6, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any) -> None:
        # identity: the WSGI transport does not undo compression (Flask-Compress)
        response = case.call(headers={**bearer(token), "Accept-Encoding": "identity"})
        # Refusals no schema can describe, 422 problems though the input matches the
        # document: a made-up cursor (it is opaque), an Idempotency-Key used before with
        # another body, a start time in the past, a meeting link that is not the platform's,
        # and ids of interviewers, kits or stages that do not exist. Every other check runs.
        stateful = response.status_code == 422 and any(
            e.get("field") in STATEFUL_FIELDS for e in (response.json().get("errors") or []))
        case.validate_response(response, headers=bearer(token), excluded_checks=(
            [positive_data_acceptance] if stateful else []))

    run()


def test_every_operation_accepts_valid_input(api_schema: Any) -> None:
    """Each operation with valid input: accepted unless the refusal is one no schema can
    describe (above), never a 5xx, always as documented. Invalid input and the rest of the
    document are walked by the schemathesis command line against the live server
    (test_schemathesis_cli.py), which cannot make that exception."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        _check_operation(operation, TOKEN["value"], GenerationMode.POSITIVE)
