"""The migration that makes one request per referee live keeps the right one: the answered
request if there is one (the first, if several were), else the newest."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_migrate import upgrade
from sqlalchemy import text

from portal.extensions import db
from tests.conftest import make_app
from tests.test_migrations import empty_url  # noqa: F401  (the fixture)

BEFORE = "b7c1e0a9d2f4"


def test_requests_sent_twice_before_the_migration_keep_one_live(empty_url):  # noqa: F811
    app = make_app(empty_url)
    with app.app_context():
        upgrade(revision=BEFORE)
        t = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO candidate (id, name, email, phone, language, timezone, "
                "timezone_source, created_at) VALUES (1, 'A', 'a@example.com', '', 'sv', "
                "'Europe/Stockholm', 'recruiter', :t)"), {"t": t})
            conn.execute(text(
                "INSERT INTO opening (id, title, team, description, language, archived, "
                "created_at, reference_questions) VALUES (1, 'X', '', '', 'sv', false, :t, '')"),
                {"t": t})
            conn.execute(text(
                "INSERT INTO stage (id, opening_id, name, public_name_en, public_name_sv, kind, "
                "position) VALUES (1, 1, 'New', 'New', 'Ny', 'open', 0)"))
            conn.execute(text(
                "INSERT INTO application (id, candidate_id, opening_id, stage_id, created_at, "
                "updated_at) VALUES (1, 1, 1, 1, :t, :t)"), {"t": t})
            for referee in (1, 2):
                conn.execute(text(
                    "INSERT INTO referee (id, application_id, name, relation, email, phone, "
                    "language, consent_at, created_at) VALUES (:id, 1, 'R', 'r', 'r@x.se', '', "
                    "'sv', :t, :t)"), {"id": referee, "t": t})
            # Referee 1: three requests, the middle one answered. Referee 2: two, none.
            for rid, referee, answered in ((1, 1, None), (2, 1, t), (3, 1, None),
                                           (4, 2, None), (5, 2, None)):
                conn.execute(text(
                    "INSERT INTO reference_request (id, referee_id, nonce, questions, answers, "
                    "sent_at, expires_at, answered_at) VALUES (:id, :ref, 'n', '[]', '{}', "
                    ":t, :t, :a)"), {"id": rid, "ref": referee, "t": t, "a": answered})
        upgrade()
        with db.engine.connect() as conn:
            live = conn.execute(text(
                "SELECT id FROM reference_request WHERE superseded_at IS NULL "
                "AND revoked_at IS NULL ORDER BY id")).scalars().all()
        assert live == [2, 5]
        db.session.remove()
        db.engine.dispose()
