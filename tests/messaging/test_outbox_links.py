"""Staff reading the outbox never see a bearer link: not a candidate's sign-in, not a
referee's form, not a pool extension or unsubscribe link, in the text, the HTML or the
calendar file, whichever mail backend keeps the messages. Only the demo mailbox shows them,
so a new user can click through as the candidate."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest
from flask import current_app
from sqlalchemy import select

from portal.hiring import notify
from portal.links.services import issue_link, link_url
from portal.messaging.models import OutboxMessage
from portal.pool import consent as membership
from portal.pool import services as pool
from portal.privacy import services as privacy
from portal.references import services as references
from portal.references.models import Referee
from portal.timeutil import utcnow
from tests.factories import (
    CandidateFactory,
    UserFactory,
    make_application,
    make_interview,
    make_opening,
)
from tests.feedback.test_views import client_for

BEARER = re.compile(r"(/(?:c|r|pool)/)([A-Za-z0-9_\-\.]{16,})(/unsubscribe)?")


def _candidate_link(ctx, settings, recruiter):
    interview = make_interview(recruiter, make_application(recruiter, CandidateFactory()))
    notify.send_invitation(ctx, settings, interview)
    return "candidate_invitation"


def _referee_link(ctx, settings, recruiter):
    application = make_application(recruiter, CandidateFactory())
    referee = Referee(application_id=application.id, name="Maja Manager", relation="Manager",
                      email="maja@example.com", language="en")
    ctx.add(referee)
    ctx.flush()
    references.send_request(ctx, settings, recruiter, referee)
    return "referee_request"


def _pool_extend_link(ctx, settings, recruiter):
    candidate = make_application(recruiter, CandidateFactory()).candidate
    consent = membership.give_consent(ctx, settings, candidate, "en", "Backend")
    consent.expires_at = utcnow() + timedelta(days=6)  # due for its last reminder
    assert privacy.remind_expiring(ctx, settings) == 1
    return "pool_expiring"


def _pool_invite_links(ctx, settings, recruiter):
    """A sign-in link in the body, an unsubscribe link in List-Unsubscribe."""
    candidate = make_application(recruiter, CandidateFactory()).candidate
    membership.give_consent(ctx, settings, candidate, "en", "Backend")
    profile = pool.ensure_profile(ctx, candidate)
    ctx.flush()
    with current_app.test_request_context():
        assert pool.invite(ctx, settings, recruiter, [profile.id],
                           make_opening(recruiter, "Data engineer")) == (1, 0)
    return "pool_invite"


def _calendar_link(ctx, settings, recruiter):
    """A bearer link inside a calendar file, long enough to be folded across lines."""
    candidate = CandidateFactory()
    _link, token = issue_link(ctx, settings, candidate)
    interview = make_interview(recruiter, make_application(recruiter, candidate),
                               preparation=f"Your page: {link_url(settings, token)}")
    notify.send_invitation(ctx, settings, interview)
    return "candidate_invitation"


KINDS = {"candidate": _candidate_link, "referee": _referee_link,
         "pool-extend": _pool_extend_link, "pool-invite": _pool_invite_links,
         "calendar": _calendar_link}


def _links(message: OutboxMessage) -> set[tuple[str, str, str]]:
    """(path prefix, token, path suffix) of every bearer link anywhere in the stored message."""
    unfolded = re.sub(r"\r?\n[ \t]", "", message.ics or "")
    sources = [message.text_body, message.html_body, unfolded,
               *(message.headers or {}).values()]
    return {pair for s in sources for pair in BEARER.findall(s)}


def _staff_pages(staff, message: OutboxMessage) -> list[str]:
    paths = [f"/staff/outbox/{message.id}", f"/staff/outbox/{message.id}/html"]
    if message.ics:
        paths.append(f"/staff/outbox/{message.id}/invite.ics")
    pages = []
    for path in paths:
        response = staff.get(path)
        assert response.status_code == 200, path
        pages.append(response.text)
    return pages


@pytest.mark.parametrize("backend", ["database", "smtp"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_staff_never_see_a_bearer_link(app, ctx, settings, kind, backend):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    message_kind = KINDS[kind](ctx, settings, recruiter)
    ctx.commit()
    message = ctx.scalar(select(OutboxMessage).where(OutboxMessage.kind == message_kind))
    links = _links(message)
    tokens = {token for _prefix, token, _suffix in links}
    assert tokens, "the email carries a bearer link"
    if kind == "calendar":
        assert any(t not in message.ics for t in tokens), "the token is folded in the file"
    if kind == "pool-invite":
        assert ("/pool/", "/unsubscribe") in {(prefix, suffix) for prefix, _t, suffix in links}
        assert "/c/" in {prefix for prefix, _t, _s in links}
    # Each one is a live key: whoever opens it acts as its owner.
    for prefix, token, suffix in links:
        assert app.test_client().get(f"{prefix}{token}{suffix}").status_code in (200, 303)

    before = app.config["PORTAL"]
    app.config["PORTAL"] = replace(before, mail_backend=backend)
    try:
        staff = client_for(app, "rec@example.com")
        pages = _staff_pages(staff, message)
    finally:
        app.config["PORTAL"] = before
    for page in pages:
        for token in tokens:
            assert token not in page
            # Not even the part a calendar folds onto its next line.
            assert token[-20:] not in page and token[:20] not in page
    assert "[…]" in pages[0] and "[…]" in pages[1]
    if kind == "calendar":
        ics = pages[2]
        assert "[…]" in re.sub(r"\r\n ", "", ics)
        assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
        assert ics.startswith("BEGIN:VCALENDAR") and "END:VEVENT" in ics


@pytest.mark.parametrize("kind", ["candidate", "referee", "pool-extend"])
def test_the_demo_mailbox_shows_links_to_click(app, ctx, settings, kind):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    message_kind = KINDS[kind](ctx, settings, recruiter)
    ctx.commit()
    message = ctx.scalar(select(OutboxMessage).where(OutboxMessage.kind == message_kind))
    token = BEARER.search(message.text_body).group(2)
    before = app.config["PORTAL"]
    app.config["PORTAL"] = replace(before, env="demo", mail_backend="database")
    try:
        staff = client_for(app, "rec@example.com")
        assert token in staff.get(f"/staff/outbox/{message.id}").text
        assert token in staff.get(f"/staff/outbox/{message.id}/html").text
    finally:
        app.config["PORTAL"] = before


def test_production_with_the_database_backend_hides_sign_in_links(app, ctx, settings):
    """The case that leaked to every recruiter: mail kept in the database outside demo."""
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    _candidate_link(ctx, settings, recruiter)
    ctx.commit()
    message = ctx.scalar(select(OutboxMessage).where(
        OutboxMessage.kind == "candidate_invitation"))
    token = BEARER.search(message.text_body).group(2)
    before = app.config["PORTAL"]
    for env in ("production", "development", "test"):
        app.config["PORTAL"] = replace(before, env=env, mail_backend="database")
        try:
            staff = client_for(app, "rec@example.com")
            page = staff.get(f"/staff/outbox/{message.id}").text
        finally:
            app.config["PORTAL"] = before
        assert token not in page and "/c/[…]" in page, env
