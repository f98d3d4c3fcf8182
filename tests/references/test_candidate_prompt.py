"""The reference stage asks the candidate to name referees: one email per application, in
their language, whose link signs them in on the references form."""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import func, select

from portal.messaging.models import OutboxMessage
from portal.messaging.services import render_email
from portal.references.services import ask_candidate_for_referees
from tests.factories import CandidateFactory, UserFactory, make_application
from tests.messaging.test_email_snapshots import SNAPSHOTS, _context
from tests.references.test_references import _to_references


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_candidate_references_email_matches_snapshot(app, lang):
    with app.test_request_context("/"):
        text, html = render_email("candidate_references", lang, **_context())
    assert "TOKEN" in text and "TOKEN" in html
    for suffix, body in (("txt", text), ("html", html)):
        path = SNAPSHOTS / f"candidate_references.{lang}.{suffix}"
        if os.environ.get("UPDATE_SNAPSHOTS"):
            path.write_text(body)
        assert path.exists(), f"no snapshot {path.name}; create it with UPDATE_SNAPSHOTS=1"
        assert body == path.read_text(), f"{path.name} changed; review and UPDATE_SNAPSHOTS=1"


def _prompts(ctx):
    return ctx.scalars(select(OutboxMessage).where(OutboxMessage.kind == "candidate_references")
                       .order_by(OutboxMessage.id)).all()


def test_the_candidate_is_asked_once_and_the_link_lands_on_the_form(app, ctx, settings):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    application = make_application(recruiter, CandidateFactory(name="Sara Svensson",
                                                               language="sv"))
    other = make_application(recruiter, application.candidate)  # a second opening
    ctx.commit()
    _to_references(ctx, recruiter, application)
    ask_candidate_for_referees(ctx, settings, application)  # again: nothing new
    ask_candidate_for_referees(ctx, settings, application)
    ctx.commit()

    (email,) = _prompts(ctx)
    assert email.to_email == application.candidate.email
    assert email.subject == "Dina referenser för Backend developer"
    assert "Hej Sara" in email.text_body and "referenstagningen" in email.text_body
    url = re.search(r"https?://\S+/c/\S+", email.text_body).group(0)
    assert url.endswith(f"?next=/portal/applications/{application.id}#references")
    assert url in email.html_body

    browser = app.test_client()
    path = url.split("://", 1)[1].split("/", 1)[1]
    opened = browser.get("/" + path.split("#", 1)[0])
    assert opened.status_code == 303
    assert opened.headers["Location"] == f"/portal/applications/{application.id}"
    page = browser.get(opened.headers["Location"])
    assert page.status_code == 200
    assert 'id="references"' in page.text and "Lägg till en referens" in page.text

    # Another application of the same candidate is asked on its own.
    ask_candidate_for_referees(ctx, settings, other)
    ctx.commit()
    assert len(_prompts(ctx)) == 2
    assert ctx.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.kind == "candidate_references",
        OutboxMessage.candidate_id == application.candidate_id)) == 2
