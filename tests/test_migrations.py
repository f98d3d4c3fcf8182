"""The schema lives in migrations: the head matches the models, and every migration runs
up and down, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from portal.extensions import db
from tests.conftest import PG_ADMIN_URL, make_app


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    request.getfixturevalue("pg_database")  # fails in CI, skips elsewhere, when PG is absent
    import psycopg

    name = f"portal_mig_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}".replace(
        "postgresql://", "postgresql+psycopg://", 1)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_head_matches_models_and_every_step_goes_up_and_down(empty_url):
    app = make_app(empty_url)
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        revisions = list(script.walk_revisions("base", "heads"))
        assert revisions, "no migrations"

        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={
                "compare_type": True,
                "include_object": lambda obj, name, type_, *_: not (
                    type_ == "table" and name.startswith(("pool_search", "candidate_search")))}),
                db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"

        # Walk every step down and up again.
        for _ in revisions:
            downgrade(revision="-1")
        fresh = create_engine(empty_url)
        try:
            tables = set(inspect(fresh).get_table_names()) - {"alembic_version"}
        finally:
            fresh.dispose()
        assert tables == set()
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"candidate", "interview", "magic_link", "outbox_message"} <= tables
        db.engine.dispose()


def test_links_issued_before_expiry_existed_get_one(empty_url):
    """The expiry migration fills the new column for rows that were already there."""
    from datetime import UTC, datetime

    from sqlalchemy import text

    app = make_app(empty_url)
    with app.app_context():
        upgrade(revision="8e86bf2642fd")
        issued = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO candidate (id, name, email, phone, language, timezone, "
                "timezone_source, created_at) VALUES (1, 'A', 'a@example.com', '', 'sv', "
                "'Europe/Stockholm', 'recruiter', :t)"), {"t": issued})
            conn.execute(text(
                "INSERT INTO magic_link (id, candidate_id, purpose, nonce, issued_at, use_count)"
                " VALUES (1, 1, 'candidate', 'n', :t, 0)"), {"t": issued})
        upgrade()
        from portal.links.models import MagicLink

        link = db.session.get(MagicLink, 1)
        assert (link.expires_at - link.issued_at).days == 400
        db.session.remove()
        db.engine.dispose()


def test_interviews_scheduled_by_hand_before_get_their_panels_time_held(empty_url, capfd):
    """The migration that made every interview hold its panel's time fills the holds of
    the interviews still to come, leaves the past and the cancelled alone, keeps what
    booked interviews hold, and does not fail on two interviews that already overlap
    (possible before): the one made first holds, the other is left as it was and named
    in the log. Its downgrade goes back to holds for booked interviews only."""
    from datetime import datetime, time, timedelta
    from types import SimpleNamespace

    from flask import current_app
    from sqlalchemy import select, update

    from portal.booking.models import InterviewerHold
    from portal.hiring.models import Interview
    from portal.process import booking, lifecycle
    from portal.timeutil import utcnow, zone
    from tests.booking.helpers import offer_round, weekday_ahead
    from tests.factories import CandidateFactory, UserFactory, make_application, make_interview

    app = make_app(empty_url)
    with app.app_context():
        upgrade()
        settings = current_app.config["PORTAL"]
        day = weekday_ahead(4)

        def at(hour: int, minute: int = 0) -> datetime:
            return datetime.combine(day, time(hour, minute), tzinfo=zone("Europe/Stockholm"))

        recruiter = UserFactory(role="recruiter")
        maria = UserFactory(role="interviewer")
        bo = UserFactory(role="interviewer")
        first = make_interview(recruiter, starts_at=at(10), interviewers=[maria, bo])
        overlapping = make_interview(recruiter, starts_at=at(15), interviewers=[maria])
        past = make_interview(recruiter, starts_at=at(16), interviewers=[bo])
        cancelled = make_interview(recruiter, starts_at=at(9), interviewers=[bo])
        lifecycle.cancel_interview(db.session, settings, recruiter, cancelled)
        application = make_application(recruiter, CandidateFactory())
        offer = offer_round(recruiter, [application], [maria], first=day).offers[0]
        booked = booking.book(db.session, settings, application.candidate, offer, at(13))
        db.session.commit()
        # As rows could be before the migration: one overlaps the first for Maria (and
        # holds nothing), one is over.
        db.session.execute(update(Interview).where(Interview.id == overlapping.id)
                           .values(starts_at=at(10, 30)))
        db.session.execute(update(Interview).where(Interview.id == past.id)
                           .values(starts_at=utcnow() - timedelta(days=2)))
        db.session.commit()

        # Ids read now: the rows' objects cannot load again while the schema is older
        # than the models.
        first, booked, overlapping = (SimpleNamespace(id=i.id) for i in (first, booked,
                                                                         overlapping))
        maria, bo = SimpleNamespace(id=maria.id), SimpleNamespace(id=bo.id)
        db.session.rollback()  # reading them began a transaction: end it before the DDL

        def held() -> set[tuple[int, int]]:
            db.session.expire_all()
            return {tuple(r) for r in db.session.execute(
                select(InterviewerHold.interview_id, InterviewerHold.interviewer_id))}

        downgrade(revision="7e4a9c2d1f53")  # to before that migration
        assert held() == {(booked.id, maria.id)}
        capfd.readouterr()
        upgrade()
        assert held() == {(first.id, maria.id), (first.id, bo.id), (booked.id, maria.id)}
        # Alembic's log (configured by the migrations' env.py) goes to standard error.
        logged = capfd.readouterr().err
        assert ("1 scheduled interview(s) overlap another interview of the same interviewer "
                f"and hold no time until moved: interview id {overlapping.id}\n") in logged
        spans = {tuple(r) for r in db.session.execute(select(
            InterviewerHold.interview_id, InterviewerHold.starts_at, InterviewerHold.ends_at))}
        assert (first.id, at(10), at(10, 45)) in spans
        db.session.remove()
        db.engine.dispose()
