"""Storing and reading tech-check results."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from portal.errors import DomainError, NotFound
from portal.hiring.models import Application, Candidate, Interview, InterviewStatus
from portal.techcheck import schema
from portal.techcheck.models import TechCheckResult
from portal.techcheck.scoring import Report, score
from portal.timeutil import utcnow


def record(db: Session, candidate: Candidate, payload: Any) -> tuple[TechCheckResult, Report]:
    """Validate, score and store one run. Raises DomainError listing what is wrong."""
    found = schema.problems(payload)
    if found:
        raise DomainError("; ".join(found))
    interview = None
    if payload.get("interview_id") is not None:
        interview = db.get(Interview, payload["interview_id"])
        if interview is None or interview.application.candidate_id != candidate.id:
            raise NotFound("no such interview")
    report = score(payload, interview.platform if interview else None)
    browser = payload["browser"]
    result = TechCheckResult(
        candidate_id=candidate.id, interview_id=interview.id if interview else None,
        verdict=report.verdict, schema_version=schema.SCHEMA_VERSION,
        thresholds_version=report.as_dict()["thresholds_version"],
        browser=f"{(browser.get('name') or '').capitalize()} {browser.get('version') or ''}"
        .strip()[:80],
        system=(browser.get("os") or "")[:80],
        report=json.dumps(report.as_dict()), payload=json.dumps(payload))
    db.add(result)
    db.flush()
    return result, report


def history(db: Session, candidate_id: int, limit: int = 5) -> list[TechCheckResult]:
    return list(db.scalars(
        select(TechCheckResult).where(TechCheckResult.candidate_id == candidate_id)
        .order_by(TechCheckResult.created_at.desc(), TechCheckResult.id.desc()).limit(limit)))


def latest_by_candidate(db: Session, candidate_ids: list[int]) -> dict[int, TechCheckResult]:
    """The newest result of each candidate, for staff pages (one query)."""
    if not candidate_ids:
        return {}
    rows = db.scalars(
        select(TechCheckResult).where(TechCheckResult.candidate_id.in_(candidate_ids))
        .order_by(TechCheckResult.created_at.desc(), TechCheckResult.id.desc()))
    latest: dict[int, TechCheckResult] = {}
    for row in rows:
        latest.setdefault(row.candidate_id, row)
    return latest


def has_passed(db: Session, candidate_id: int) -> bool:
    return bool(db.scalar(select(exists().where(
        TechCheckResult.candidate_id == candidate_id,
        TechCheckResult.verdict.in_(("ready", "warnings"))))))


def unchecked_soon(db: Session, hours: int = 48) -> list[Interview]:
    """Scheduled interviews in the next ``hours`` whose candidate has not passed a check."""
    now = utcnow()
    passed = exists().where(TechCheckResult.candidate_id == Application.candidate_id,
                            TechCheckResult.verdict.in_(("ready", "warnings")))
    return list(db.scalars(
        select(Interview).join(Application, Application.id == Interview.application_id)
        .where(Interview.status == InterviewStatus.SCHEDULED, Interview.starts_at > now,
               Interview.starts_at <= now + timedelta(hours=hours), ~passed)
        .order_by(Interview.starts_at)))


def report_of(result: TechCheckResult) -> dict[str, Any]:
    return json.loads(result.report)
