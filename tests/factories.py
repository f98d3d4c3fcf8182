"""Test data through factory-boy and the real services (never hand-made rows that skip
the rules)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import factory
from factory.alchemy import SQLAlchemyModelFactory
from flask import current_app

from portal.accounts.models import User
from portal.extensions import db
from portal.hiring import services
from portal.hiring.models import Application, Candidate, Interview, Opening
from portal.process import lifecycle
from portal.timeutil import utcnow

PASSWORD = "correct horse battery"


class UserFactory(SQLAlchemyModelFactory):
    class Meta:
        model = User
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"

    email = factory.Sequence(lambda n: f"staff{n}@example.com")
    name = factory.Sequence(lambda n: f"Staff Person {n}")
    role = "recruiter"
    language = "en"
    password_hash = factory.LazyFunction(lambda: _hash())


_HASH: list[str] = []


def _hash() -> str:
    # One real hash for the whole run: scrypt is slow on purpose.
    if not _HASH:
        from werkzeug.security import generate_password_hash

        _HASH.append(generate_password_hash(PASSWORD))
    return _HASH[0]


class CandidateFactory(SQLAlchemyModelFactory):
    class Meta:
        model = Candidate
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"

    name = factory.Sequence(lambda n: f"Kim Candidate{n}")
    email = factory.Sequence(lambda n: f"candidate{n}@example.com")
    language = "en"
    timezone = "Europe/Stockholm"


def make_opening(actor: User, title: str = "Backend developer", **kw: Any) -> Opening:
    return services.create_opening(db.session, actor, services.OpeningData(
        title=title, team=kw.get("team", "Platform"), description="", language="en"))


def make_application(actor: User, candidate: Candidate | None = None,
                     opening: Opening | None = None) -> Application:
    candidate = candidate or CandidateFactory()
    opening = opening or make_opening(actor)
    return lifecycle.apply(db.session, actor, candidate, opening)


def move_to(actor: User, application: Application, stage: Any, reason: str = "") -> None:
    """Move through the lifecycle, as the board does."""
    lifecycle.move(db.session, current_app.config["PORTAL"], actor, application, stage, reason)


def make_interview(actor: User, application: Application | None = None, *,
                   starts_at: datetime | None = None, interviewers: list[User] | None = None,
                   platform: str = "zoom", url: str = "https://zoom.us/j/12345678901",
                   **kw: Any) -> Interview:
    application = application or make_application(actor)
    return lifecycle.schedule(db.session, current_app.config["PORTAL"], actor, application,
                              services.InterviewData(
        round_name=kw.get("round_name", "First interview"),
        starts_at=starts_at or (utcnow() + timedelta(days=2)).replace(microsecond=0),
        duration_minutes=kw.get("duration_minutes", 45), platform=platform, meeting_url=url,
        what_to_expect=kw.get("what_to_expect", "You meet the team."),
        preparation=kw.get("preparation", "Think of a project you liked."),
        interviewer_ids=[u.id for u in (interviewers or [])]))
