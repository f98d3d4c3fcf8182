"""When two writes collide anyway, the person gets a page that says so, never a 500: a
unique rule of the database that a write breaks answers 409, and SQLite's "database is
locked" (another writer held on past the wait) answers 503 with nothing half done."""

from __future__ import annotations

import sqlite3

import pytest
from flask_migrate import upgrade
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.extensions import db
from portal.hiring.models import Application
from tests.conftest import csrf_from, make_app
from tests.factories import CandidateFactory, UserFactory, make_application
from tests.feedback.test_views import client_for


@pytest.fixture()
def fresh(tmp_path):
    """An app of its own on its own SQLite file, waiting at most 0.2 s for a lock."""
    path = tmp_path / "conflicts.sqlite3"
    app = make_app(f"sqlite:///{path}",
                   SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 0.2}})
    with app.app_context():
        upgrade()  # the schema as the migrations make it, search indexes included
    yield app, path
    with app.app_context():
        db.engine.dispose()


def test_a_broken_unique_rule_answers_409_in_the_readers_language(fresh):
    app, _path = fresh

    @app.get("/test-only/collide")
    def collide():
        raise IntegrityError("INSERT INTO scorecard ...", {}, Exception("duplicate key"))

    client = app.test_client()
    english = client.get("/test-only/collide", headers={"Accept-Language": "en"})
    assert english.status_code == 409
    assert "Someone else changed this at the same moment" in english.text
    swedish = client.get("/test-only/collide", headers={"Accept-Language": "sv"})
    assert swedish.status_code == 409
    assert "Någon annan ändrade det här i samma stund" in swedish.text


def test_a_locked_sqlite_database_is_not_a_500_and_nothing_moves(fresh):
    app, path = fresh
    with app.app_context():
        recruiter = UserFactory(email="rec@example.com", role="recruiter")
        application = make_application(recruiter, CandidateFactory())
        screening = next(s for s in application.opening.stages if s.name == "Screening")
        app_id, stage_id, target = application.id, application.stage_id, screening.id
        opening_id = application.opening_id
        db.session.commit()
    staff = client_for(app, "rec@example.com")
    token = csrf_from(staff.get(f"/staff/openings/{opening_id}").text)
    other_writer = sqlite3.connect(path)
    other_writer.execute("BEGIN IMMEDIATE")  # holds the write lock past the app's wait
    try:
        response = staff.post(f"/staff/applications/{app_id}/move",
                              data={"stage_id": str(target), "csrf_token": token})
    finally:
        other_writer.rollback()
        other_writer.close()
    assert response.status_code in (409, 503)
    with app.app_context():
        assert db.session.scalar(select(Application.stage_id).where(
            Application.id == app_id)) == stage_id
