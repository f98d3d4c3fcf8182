"""Actions that cannot be undone ask first (portal/confirm.py): a GET shows what will
happen, a POST without confirm=y shows the same (422) and changes nothing, a confirmed POST
does it. The step works as a page without JavaScript and as an htmx panel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.hiring.models import Interview
from portal.messaging.models import OutboxMessage
from portal.pool.models import PoolInvite, TalentProfile
from portal.privacy.services import current_consent
from portal.references.models import Referee, ReferenceRequest
from tests.conftest import csrf_from
from tests.factories import UserFactory, make_application
from tests.feedback.test_views import client_for
from tests.hiring.test_back_office import _schedule, recruiter  # noqa: F401
from tests.pool.test_recontact_and_retention import _invite, pool_member  # noqa: F401
from tests.references.test_references import _add, _to_references, case  # noqa: F401


def _mails(ctx, like):
    return ctx.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.kind.like(like)))


# ---------------------------------------------------------------- cancel an interview


@pytest.fixture()
def booked(client, recruiter, ctx):  # noqa: F811
    panel = UserFactory(role="interviewer", name="Petra Panel", email="petra@example.com")
    application = make_application(recruiter)
    ctx.commit()
    _schedule(client, application.id, interviewer_ids=[str(panel.id)])
    interview = ctx.scalar(select(Interview))
    assert interview.invited_at is not None
    return interview, application


def test_cancel_asks_first_and_names_who_is_emailed(client, ctx, booked):
    interview, application = booked
    url = f"/staff/interviews/{interview.id}/cancel"
    candidate_page = client.get(f"/staff/candidates/{application.candidate_id}").text
    assert f'href="{url}"' in candidate_page and f'hx-get="{url}"' in candidate_page
    assert f'action="{url}"' not in candidate_page  # no one-click form any more
    page = client.get(url)
    assert page.status_code == 200
    candidate = application.candidate
    assert (f"goes at once to {candidate.name} ({candidate.email}) and to the panel: "
            "Petra Panel (petra@example.com)") in page.text
    assert f'action="{url}"' in page.text and 'name="confirm" value="y"' in page.text
    assert "Yes, cancel the interview" in page.text and "No, go back" in page.text
    assert "<script>" not in page.text and "confirm(" not in page.text

    token = csrf_from(page.text)
    for data in ({"csrf_token": token}, {"csrf_token": token, "confirm": "yes"},
                 {"csrf_token": token, "confirm": ["n", "y"]}):
        refused = client.post(url, data=data)
        assert refused.status_code == 422 and "Petra Panel (petra@example.com)" in refused.text
    ctx.expire_all()
    assert not ctx.get(Interview, interview.id).is_cancelled
    assert _mails(ctx, "%cancellation") == 0

    done = client.post(url, data={"csrf_token": token, "confirm": "y"})
    assert done.status_code == 303
    ctx.expire_all()
    assert ctx.get(Interview, interview.id).is_cancelled
    assert _mails(ctx, "%cancellation") == 2
    # Asking again about a cancelled interview changes nothing and does not fail.
    assert client.get(url).status_code == 303
    assert client.post(url, data={"csrf_token": token, "confirm": "y"}).status_code == 303
    assert _mails(ctx, "%cancellation") == 2
    assert client.get("/staff/interviews/999999/cancel").status_code == 404


def test_cancel_panel_through_htmx_and_in_swedish(client, ctx, booked):
    interview, _application = booked
    url = f"/staff/interviews/{interview.id}/cancel"
    slot = f"confirm-cancel-{interview.id}"
    panel = client.get(url, headers={"HX-Request": "true", "HX-Target": slot})
    assert panel.status_code == 200
    assert "<html" not in panel.text and "Petra Panel" in panel.text
    assert 'name="csrf_token"' in panel.text and "HX-Request" in panel.headers["Vary"]
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "sv"
    swedish = client.get(url).text
    assert "Ställa in intervjun?" in swedish and "Ja, ställ in intervjun" in swedish
    assert "Ett mejl om att intervjun är inställd skickas direkt till" in swedish


def test_cancel_before_inviting_says_nobody_is_emailed(client, recruiter, ctx):  # noqa: F811
    application = make_application(recruiter)
    ctx.commit()
    _schedule(client, application.id, send="")
    interview = ctx.scalar(select(Interview))
    assert interview.invited_at is None
    page = client.get(f"/staff/interviews/{interview.id}/cancel")
    assert page.status_code == 200 and "nobody is emailed" in page.text


# ---------------------------------------------------------------- never contact me again


def test_never_again_asks_before_the_pool_profile_goes(app, ctx, client, pool_member):  # noqa: F811
    _rec, candidate_id, opening_id = pool_member
    _invite(app, ctx, opening_id)
    item = ctx.scalar(select(PoolInvite))
    url = f"/portal/invites/{item.id}"
    invite_page = client.get(url).text
    assert f'href="{url}?answer=never"' in invite_page
    assert 'value="never"' not in invite_page  # the answer is sent only from the confirm step
    page = client.get(f"{url}?answer=never")
    assert page.status_code == 200
    assert "Din profil i talangpoolen raderas" in page.text  # a Swedish candidate
    assert 'name="answer" value="never"' in page.text and 'name="confirm" value="y"' in page.text
    token = csrf_from(page.text)
    refused = client.post(url, data={"csrf_token": token, "answer": "never"})
    assert refused.status_code == 422 and "Din profil i talangpoolen raderas" in refused.text
    ctx.expire_all()
    assert current_consent(ctx, candidate_id) is not None
    assert ctx.scalar(select(TalentProfile)) is not None
    assert ctx.scalar(select(PoolInvite.answer)) == ""
    assert client.get(f"{url}?answer=%3Cscript%3E").status_code == 200
    panel = client.get(f"{url}?answer=never",
                       headers={"HX-Request": "true", "HX-Target": "confirm-never"})
    assert panel.status_code == 200 and "<html" not in panel.text

    done = client.post(url, data={"csrf_token": token, "answer": "never", "confirm": "y"})
    assert done.status_code == 303
    ctx.expire_all()
    assert current_consent(ctx, candidate_id) is None
    assert ctx.scalar(select(TalentProfile)) is None
    assert ctx.scalar(select(PoolInvite.answer)) == "never"


# ---------------------------------------------------------------- withdraw consent for a referee


def test_withdrawing_a_referee_asks_first(app, ctx, client, case):  # noqa: F811
    recruiter_, application = case
    _to_references(ctx, recruiter_, application)
    assert _add(client, application).status_code == 303
    referee_id = ctx.scalar(select(Referee.id))
    url = f"/portal/referees/{referee_id}/withdraw"
    status_page = client.get(f"/portal/applications/{application.id}").text
    assert f'href="{url}"' in status_page
    page = client.get(url)
    assert page.status_code == 200
    assert "We will not contact Maja Manager about you" in page.text
    token = csrf_from(page.text)
    refused = client.post(url, data={"csrf_token": token})
    assert refused.status_code == 422 and "We will not contact Maja Manager" in refused.text
    ctx.expire_all()
    assert ctx.get(Referee, referee_id).withdrawn_at is None
    done = client.post(url, data={"csrf_token": token, "confirm": "y"})
    assert done.status_code == 303
    ctx.expire_all()
    assert ctx.get(Referee, referee_id).withdrawn_at is not None
    assert client.get(url).status_code == 303  # nothing left to confirm
    assert client.get("/portal/referees/999999/withdraw").status_code == 404


def test_another_candidates_referee_is_not_found(app, ctx, client, case, settings):  # noqa: F811
    from portal.links.services import issue_link

    recruiter_, application = case
    _to_references(ctx, recruiter_, application)
    _add(client, application)
    referee_id = ctx.scalar(select(Referee.id))
    other = make_application(recruiter_)
    _l, token = issue_link(ctx, settings, other.candidate)
    ctx.commit()
    stranger = app.test_client()
    stranger.get(f"/c/{token}")
    assert stranger.get(f"/portal/referees/{referee_id}/withdraw").status_code == 404


# ---------------------------------------------------------------- send a reference request again


def test_sending_a_reference_request_again_asks_and_says_the_old_link_dies(app, ctx, client,
                                                                           case):  # noqa: F811
    recruiter_, application = case
    _to_references(ctx, recruiter_, application)
    _add(client, application)
    referee_id = ctx.scalar(select(Referee.id))
    staff = client_for(app, "rec@example.com")
    candidate_page = f"/staff/candidates/{application.candidate_id}"
    token = csrf_from(staff.get(candidate_page).text)
    url = f"/staff/referees/{referee_id}/request"
    assert staff.get(url).status_code == 303  # nothing sent yet: nothing to confirm
    first = staff.post(url, data={"csrf_token": token})  # the first request needs no step
    assert first.status_code == 303 and _mails(ctx, "referee_request") == 1
    ctx.expire_all()
    for item in ctx.scalars(select(ReferenceRequest)):  # sent a while ago
        item.sent_at = item.sent_at - timedelta(hours=2)
    ctx.commit()
    assert f'href="{url}"' in staff.get(candidate_page).text

    page = staff.get(url)
    assert page.status_code == 200
    assert "Maja Manager (maja@example.com) gets a new email with a new link" in page.text
    assert "stops working" in page.text and "Yes, send a new request" in page.text
    refused = staff.post(url, data={"csrf_token": token})
    assert refused.status_code == 422 and "stops working" in refused.text
    assert _mails(ctx, "referee_request") == 1
    assert ctx.scalar(select(func.count(ReferenceRequest.id))) == 1

    done = staff.post(url, data={"csrf_token": token, "confirm": "y"})
    assert done.status_code == 303
    assert _mails(ctx, "referee_request") == 2
    assert ctx.scalar(select(func.count(ReferenceRequest.id))) == 2
    assert staff.get("/staff/referees/999999/request").status_code == 404
