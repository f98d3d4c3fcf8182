"""The schemathesis command line against the running API and its own OpenAPI document:
the app serves on a loopback port (the live server), signed in with a key, and
``schemathesis run`` walks every operation with valid and invalid input (its examples and
fuzzing phases; its coverage phase takes minutes on this API). No answer may be a 5xx,
and every answer must match what the document says: its status codes, content types,
headers and bodies, and invalid input must be refused. Bounded: a few examples per
operation, a fixed seed, a time limit. Valid input being accepted is checked in process
by tests/api/test_schema.py, which can tell the refusals no schema describes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from portal.extensions import db
from portal.feedback import services as feedback
from tests.api.helpers import make_key
from tests.factories import CandidateFactory, make_application, make_interview

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_headers_conformance,response_schema_conformance,negative_data_rejection")
EXAMPLES = 4  # per operation and generation mode (valid, invalid), on each database
# Seconds the run may take: a few on an idle machine, more when the suite shares it.
LIMIT = 120


@pytest.fixture()
def api_key(app: Flask, ctx: Any) -> Any:
    """A key with every scope and a little of everything to read; the API's rate limit
    raised for the run (many quick requests)."""
    admin, token = make_key()
    application = make_application(admin)
    make_application(admin, CandidateFactory(), application.opening)
    interview = make_interview(admin, application, interviewers=[admin])
    interview.kit_id = feedback.create_starter_kit(db.session, admin, application.opening).id
    feedback.my_scorecard(db.session, admin, interview)  # a draft: its contents stay hidden
    db.session.commit()
    limit = app.config.get("API_RATE_LIMIT")
    app.config["API_RATE_LIMIT"] = "100000 per minute"
    yield token
    if limit is None:
        app.config.pop("API_RATE_LIMIT")
    else:
        app.config["API_RATE_LIMIT"] = limit


def test_schemathesis_finds_nothing(live_server: Any, api_key: str, tmp_path: Path) -> None:
    command = [
        str(SCHEMATHESIS), "run", f"{live_server.url}/api/v1/openapi.json",
        "--header", f"Authorization: Bearer {api_key}",
        "--checks", CHECKS,
        "--phases", "examples,fuzzing",
        "--max-examples", str(EXAMPLES), "--seed", "20261202", "--no-shrink",
        "--generation-database", "none", "--workers", "1",
        "--request-timeout", "10", "--max-failures", "20",
        "--suppress-health-check", "all", "--no-color",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": ""}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=LIMIT,
                              cwd=tmp_path, env=env)
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        pytest.fail(f"schemathesis ran longer than {LIMIT} s:\n{out}")
    report = f"{done.stdout}\n{done.stderr}"
    print(report)  # shown with -rP: what was tested
    assert done.returncode == 0, report
    assert "No issues found" in report or "passed" in report, report
