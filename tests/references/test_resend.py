"""Re-sending a reference request: one live link per referee, one email per send, a double
click sends once, the worker reminds once even with two of it running, and a link whose
process closed shows a friendly page."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.extensions import db
from portal.messaging.models import OutboxMessage
from portal.messaging.worker import run_once
from portal.references import services as refs
from portal.references.models import Referee, ReferenceRequest
from tests.conftest import csrf_from
from tests.feedback.test_views import client_for
from tests.references.test_references import _add, _to_references, case  # noqa: F401

ANSWERS = {f"answer-{i}": f"Svar {i}" for i in range(5)}


@pytest.fixture()
def named(app, ctx, client, case):  # noqa: F811
    """A referee named with consent, and a recruiter signed in to the back office."""
    recruiter, application = case
    _to_references(ctx, recruiter, application)
    assert _add(client, application).status_code == 303
    staff = client_for(app, "rec@example.com")
    token = csrf_from(staff.get(f"/staff/candidates/{application.candidate_id}").text)
    return staff, token, ctx.scalar(select(Referee.id)), application


def _send(staff, token, referee_id):
    # Sending again asks first; "confirm" is what the confirm step's button sends.
    return staff.post(f"/staff/referees/{referee_id}/request",
                      data={"csrf_token": token, "confirm": "y"})


def _links(ctx, kind="referee_request"):
    bodies = ctx.scalars(select(OutboxMessage.text_body).where(OutboxMessage.kind == kind)
                         .order_by(OutboxMessage.id))
    return [re.search(r"/r/\S+", body).group(0) for body in bodies]


def _age_requests(ctx, **delta):
    """Move every request's sending back in time (as if it was sent earlier)."""
    ctx.expire_all()
    for item in ctx.scalars(select(ReferenceRequest)):
        item.sent_at = item.sent_at - timedelta(**delta)
    ctx.commit()


def _to_referee(smtp_server):
    return [m["Subject"] for m in smtp_server.messages if "maja@example.com" in m["To"]]


def _live(ctx):
    ctx.expire_all()
    return ctx.scalars(select(ReferenceRequest).where(
        ReferenceRequest.superseded_at.is_(None), ReferenceRequest.revoked_at.is_(None))).all()


def test_a_new_request_closes_the_earlier_link(app, ctx, named):
    staff, token, referee_id, application = named
    assert _send(staff, token, referee_id).status_code == 303
    first = app.test_client()
    first.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert first.get(_links(ctx)[0]).status_code == 303  # opened before the new one is sent
    first_csrf = csrf_from(first.get("/referee/").text)
    _age_requests(ctx, hours=2)
    assert _send(staff, token, referee_id).status_code == 303
    old_link, new_link = _links(ctx)

    # The old link, and a session opened with it, now say that a newer link was sent (in the
    # referee's language, whatever the browser prefers).
    late = first.post("/referee/", data={"csrf_token": first_csrf, "action": "send",
                                         **ANSWERS})
    assert late.status_code == 410 and "nyare länk" in late.text
    fresh = app.test_client()
    fresh.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    closed = fresh.get(old_link)
    assert closed.status_code == 410 and "nyare länk" in closed.text
    assert ctx.scalar(select(func.count(ReferenceRequest.id)).where(
        ReferenceRequest.answered_at.is_not(None))) == 0

    # The new link works, and staff read what was sent through it.
    referee = app.test_client()
    assert referee.get(new_link).status_code == 303
    form = referee.get("/referee/")
    done = referee.post("/referee/", data={"csrf_token": csrf_from(form.text),
                                           "action": "send", **ANSWERS})
    assert done.status_code == 200
    page = staff.get(f"/staff/candidates/{application.candidate_id}").text
    assert "Svar 4" in page
    assert len(_live(ctx)) == 1


def test_a_double_click_sends_one_request_and_one_email(app, ctx, named):
    staff, token, referee_id, _application = named
    assert _send(staff, token, referee_id).status_code == 303
    assert _send(staff, token, referee_id).status_code == 303
    assert len(_links(ctx)) == 1
    assert ctx.scalar(select(func.count(ReferenceRequest.id))) == 1
    assert len(_live(ctx)) == 1


def test_two_posts_at_once_make_one_live_request(app, ctx, named):
    if ctx.get_bind().dialect.name != "postgresql":
        pytest.skip("the row lock is PostgreSQL's; SQLite runs one writer at a time")
    staff, token, referee_id, _application = named
    second = client_for(app, "rec@example.com")
    second_token = csrf_from(second.get(f"/staff/candidates/{_application.candidate_id}").text)
    start = threading.Barrier(2)
    codes: list[int] = []

    def post(client, csrf):
        start.wait()
        codes.append(_send(client, csrf, referee_id).status_code)

    threads = [threading.Thread(target=post, args=(staff, token)),
               threading.Thread(target=post, args=(second, second_token))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [303, 303]
    assert len(_links(ctx)) == 1
    assert len(_live(ctx)) == 1


def test_a_resent_request_is_reminded_once_not_twice(app, ctx, named, smtp_server):
    staff, token, referee_id, _application = named
    _send(staff, token, referee_id)
    run_once(app)
    _age_requests(ctx, days=1)
    _send(staff, token, referee_id)
    run_once(app)
    asked = ["Referens för Sara Svensson"] * 2  # one email per send
    assert _to_referee(smtp_server) == asked
    _age_requests(ctx, days=3)  # the new request is now due a reminder, the old one more so
    run_once(app)
    run_once(app)
    assert _to_referee(smtp_server) == [*asked, "Påminnelse: referens för Sara Svensson"]
    # The live link only: the same request (the token's payload; its timestamp is the
    # second it was signed, so a reminder signed a second later differs there).
    assert [link.split(".")[0] for link in _links(ctx, "referee_reminder")] == [
        _links(ctx)[-1].split(".")[0]]


def test_two_workers_remind_once(app, ctx, named, settings):
    """Two workers at once: the first claims the due request, the second skips it."""
    if ctx.get_bind().dialect.name != "postgresql":
        pytest.skip("SKIP LOCKED is PostgreSQL's")
    staff, token, referee_id, _application = named
    _send(staff, token, referee_id)
    _age_requests(ctx, days=4)
    first, second = Session(db.engine), Session(db.engine)
    try:
        assert refs.remind_due(first, settings) == 1
        assert refs.remind_due(second, settings) == 0
        first.commit()
        second.commit()
    finally:
        first.close()
        second.close()
    assert len(_links(ctx, "referee_reminder")) == 1


def test_revoking_open_requests_closes_their_links(app, ctx, named, settings, smtp_server):
    staff, token, referee_id, application = named
    _send(staff, token, referee_id)
    link = _links(ctx)[0]
    referee = app.test_client()
    referee.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert referee.get(link).status_code == 303
    ctx.expire_all()
    assert refs.revoke_open_requests(ctx, ctx.merge(application)) == 1
    ctx.commit()
    assert refs.revoke_open_requests(ctx, ctx.merge(application)) == 0
    in_session = referee.get("/referee/")
    assert in_session.status_code == 410 and "Rekryteringen är avslutad" in in_session.text
    stranger = app.test_client()
    stranger.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    opened = stranger.get(link)
    assert opened.status_code == 410 and "Rekryteringen är avslutad" in opened.text
    # No reminder for a closed request, however long it waits.
    _age_requests(ctx, days=4)
    run_once(app)
    assert _to_referee(smtp_server) == ["Referens för Sara Svensson"]
