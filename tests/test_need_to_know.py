"""Issue 10, item 9: an interviewer sees only their panel's process and no referees; a
candidate cannot name themselves as referee; the "new link" answer does the same work for a
known and an unknown address (checked by what it does, never by how long it takes)."""

from __future__ import annotations

import re

import pytest
from flask import template_rendered
from sqlalchemy import event, select

from portal.extensions import db
from portal.links.services import issue_link
from portal.messaging.models import OutboxMessage
from portal.references import services as refs
from portal.references.models import Referee
from tests.conftest import csrf_from
from tests.factories import (
    CandidateFactory,
    UserFactory,
    make_application,
    make_interview,
    make_opening,
    move_to,
)
from tests.feedback.test_views import client_for


def _to_references(application, recruiter):
    move_to(recruiter, application,
            next(s for s in application.opening.stages if s.name == "References"))


# ---------------------------------------------------------------- the interviewer's view


@pytest.fixture()
def two_processes(ctx, settings):
    """One candidate in two openings; the interviewer sits on the first one's panel only.
    Both processes have a referee."""
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    interviewer = UserFactory(email="panel@example.com", role="interviewer")
    person = CandidateFactory(name="Sara Svensson")
    mine = make_application(recruiter, person, make_opening(recruiter, "Backend developer"))
    other = make_application(recruiter, person, make_opening(recruiter, "Secret team lead"))
    make_interview(recruiter, mine, interviewers=[interviewer], round_name="Panel round")
    make_interview(recruiter, other, round_name="Other round")
    for application, email in ((mine, "ref.one@example.com"), (other, "ref.two@example.com")):
        _to_references(application, recruiter)
        refs.add_referee(ctx, person, application, refs.RefereeData(
            name=f"Referee {email[4:7]}", relation="Manager", email=email, phone="070-123",
            language="en", consent=True))
    ctx.commit()
    return person


def test_an_interviewer_sees_only_their_panels_process_and_no_referees(app, two_processes):
    page = client_for(app, "panel@example.com").get(f"/staff/candidates/{two_processes.id}")
    assert page.status_code == 200
    assert "Backend developer" in page.text and "Panel round" in page.text
    assert "Secret team lead" not in page.text and "Other round" not in page.text
    for secret in ("ref.one@example.com", "ref.two@example.com", "Referee one", "070-123"):
        assert secret not in page.text


def test_a_recruiter_still_sees_every_process_and_referee(app, two_processes):
    page = client_for(app, "rec@example.com").get(f"/staff/candidates/{two_processes.id}")
    assert page.status_code == 200
    for shown in ("Backend developer", "Secret team lead", "Panel round", "Other round",
                  "ref.one@example.com", "ref.two@example.com"):
        assert shown in page.text


def test_an_interviewer_on_no_panel_of_the_candidate_gets_404(app, two_processes):
    UserFactory(email="elsewhere@example.com", role="interviewer")
    db.session.commit()
    page = client_for(app, "elsewhere@example.com").get(f"/staff/candidates/{two_processes.id}")
    assert page.status_code == 404


# ---------------------------------------------------------------- naming oneself


@pytest.mark.parametrize(("language", "message"), [
    ("en", "Name someone else"), ("sv", "Ange någon annan")])
def test_a_candidate_cannot_name_themselves_as_referee(ctx, settings, client, language,
                                                       message):
    recruiter = UserFactory(role="recruiter")
    person = CandidateFactory(email="sara@example.com", language=language)
    application = make_application(recruiter, person)
    _to_references(application, recruiter)
    _l, token = issue_link(ctx, settings, person)
    ctx.commit()
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE", None)  # the candidate's own language
    client.get(f"/c/{token}")
    page = client.get(f"/portal/applications/{application.id}")
    answer = client.post(f"/portal/applications/{application.id}/referees", data={
        "csrf_token": csrf_from(page.text), "name": "Sara Själv", "relation": "Me",
        "email": "Sara@Example.com", "phone": "", "language": "sv", "consent": "y"})
    assert answer.status_code == 422 and message in answer.text
    assert ctx.scalar(select(Referee.id)) is None


# ---------------------------------------------------------------- the same work


class Recorder:
    """The statements the database ran and the templates rendered during one request."""

    def __init__(self, app):
        self.app = app
        self.statements: list[str] = []
        self.templates: list[str] = []

    def _sql(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(re.sub(r"\s+", " ", statement).strip())

    def _template(self, sender, template, context, **extra):
        self.templates.append(template.name)

    def __enter__(self):
        with self.app.app_context():
            self.engine = db.engine
        event.listen(self.engine, "before_cursor_execute", self._sql)
        template_rendered.connect(self._template, self.app)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._sql)
        template_rendered.disconnect(self._template, self.app)

    def reads(self) -> list[str]:
        return [s for s in self.statements if s.upper().startswith("SELECT")]

    def writes(self) -> list[str]:
        return [s.split("(")[0].split(" VALUES")[0] for s in self.statements
                if s.upper().startswith(("INSERT", "UPDATE", "DELETE"))]


def _ask(app, client, email):
    page = client.get("/portal/link")
    data = {"email": email, "csrf_token": csrf_from(page.text)}
    with Recorder(app) as seen:
        answer = client.post("/portal/link", data=data)
    assert answer.status_code == 200
    return answer, seen


def test_the_new_link_answer_does_the_same_work_for_known_and_unknown(app, ctx, client):
    recruiter = UserFactory(role="recruiter")
    person = make_application(recruiter, CandidateFactory(email="sara@example.com")).candidate
    ctx.commit()
    known, known_seen = _ask(app, client, "Sara@example.com")
    unknown, unknown_seen = _ask(app, client, "nobody@example.com")
    # The same reads, the same templates (the page and the email), the same answer.
    assert known_seen.reads() == unknown_seen.reads()
    assert known_seen.templates == unknown_seen.templates
    assert "emails/candidate_new_link.html" in unknown_seen.templates
    strip = lambda html: html.replace(csrf_from(html), "")  # noqa: E731
    assert strip(known.text) == strip(unknown.text)
    # Only the known address gets a link and a message; the worker sends it.
    assert not unknown_seen.writes()
    assert any("magic_link" in w for w in known_seen.writes())
    assert any("outbox_message" in w for w in known_seen.writes())
    sent = ctx.scalars(select(OutboxMessage).where(OutboxMessage.kind == "candidate_new_link"))
    assert [m.to_email for m in sent] == [person.email]
