"""The pipeline board: columns that show their newest cards first, a move that answers with
only what changed (htmx out-of-band swaps), the form without JavaScript, a move someone
else made first; acting on many at once with a preview, in each candidate's language."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from portal.decisions import services as ds
from portal.hiring.models import Application
from portal.messaging.models import OutboxMessage
from portal.process.models import StageChange
from tests.conftest import csrf_from
from tests.factories import PASSWORD, CandidateFactory, UserFactory, make_application, make_opening


@pytest.fixture()
def recruiter(ctx, client, login):
    user = UserFactory(email="rec@example.com", role="recruiter", name="Rebecka Rekryterare")
    ctx.commit()
    login("rec@example.com", PASSWORD)
    return user


def _stage(opening, name):
    return next(s for s in opening.stages if s.name == name)


def _fill(recruiter, opening, n):
    return [make_application(recruiter, CandidateFactory(), opening) for _ in range(n)]


def _htmx_move(client, token, application, stage, from_stage=None):
    data = {"stage_id": str(stage.id)}
    if from_stage is not None:
        data["from_stage"] = str(from_stage.id)
    return client.post(f"/staff/applications/{application.id}/move", data=data,
                       headers={"HX-Request": "true", "HX-Target": f"app-{application.id}",
                                "X-CSRFToken": token})


def test_a_move_answers_with_only_the_two_columns_changes(client, recruiter, ctx):
    opening = make_opening(recruiter)
    apps = _fill(recruiter, opening, 200)
    ctx.commit()
    applied, screening = _stage(opening, "Applied"), _stage(opening, "Screening")
    board = client.get(f"/staff/openings/{opening.id}")
    assert board.status_code == 200
    # 200 in "Applied", 50 of them shown, and a link to the rest.
    assert board.text.count('class="pcard"') == 50
    assert f'id="count-{applied.id}">200<' in board.text and "Show all 200" in board.text
    moved = apps[-1]  # the newest: shown at the top of its column
    response = _htmx_move(client, csrf_from(board.text), moved, screening, applied)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    body = response.text
    # The card, both counts, the line for screen readers: nothing else.
    assert re.findall(r'id="([^"]+)"[^>]*hx-swap-oob', body) == [
        f"cards-{screening.id}", f"count-{applied.id}", f"count-{screening.id}", "board-status"]
    assert body.count('class="pcard"') == 1 and f'id="app-{moved.id}"' in body
    assert f'id="count-{applied.id}" hx-swap-oob="true">199<' in body
    assert f'id="count-{screening.id}" hx-swap-oob="true">1<' in body
    assert f"{moved.candidate.name} moved to Screening" in body
    assert len(body) < 5_000 < len(board.text) // 10
    ctx.expire_all()
    assert ctx.get(Application, moved.id).stage_id == screening.id
    change = ctx.scalar(select(StageChange).where(StageChange.application_id == moved.id,
                                                  StageChange.transition == "move"))
    assert (change.from_stage_id, change.to_stage_id) == (applied.id, screening.id)


def test_show_all_loads_one_column(client, recruiter, ctx):
    opening = make_opening(recruiter)
    _fill(recruiter, opening, 60)
    ctx.commit()
    applied = _stage(opening, "Applied")
    url = f"/staff/openings/{opening.id}?all={applied.id}"
    cards = client.get(url, headers={"HX-Request": "true", "HX-Target": f"cards-{applied.id}"})
    assert cards.text.lstrip().startswith(f'<div class="cards" id="cards-{applied.id}"')
    assert cards.text.count('class="pcard"') == 60 and "Show all" not in cards.text
    page = client.get(url)  # without JavaScript: the whole page, that column in full
    assert page.text.count('class="pcard"') == 60 and "<h1>" in page.text
    for odd in ("abc", "²", "99999999999"):
        assert client.get(f"/staff/openings/{opening.id}?all={odd}").status_code == 200


def test_without_javascript_the_form_moves_and_comes_back_to_the_board(client, recruiter, ctx):
    application = make_application(recruiter)
    ctx.commit()
    opening = application.opening
    board = client.get(f"/staff/openings/{opening.id}")
    response = client.post(f"/staff/applications/{application.id}/move", data={
        "csrf_token": csrf_from(board.text), "stage_id": _stage(opening, "Interview").id,
        "from_stage": _stage(opening, "Applied").id})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/openings/{opening.id}")
    ctx.expire_all()
    assert application.stage.name == "Interview"
    # A refusal comes back as a message on the board.
    again = client.post(f"/staff/applications/{application.id}/move", data={
        "csrf_token": csrf_from(board.text), "stage_id": _stage(opening, "Hired").id})
    assert again.status_code == 303
    hired = client.get(again.headers["Location"]).text
    assert "Hired" in hired


def test_a_move_someone_made_first_is_a_conflict_not_an_override(client, recruiter, ctx,
                                                                   settings):
    from tests.factories import move_to

    application = make_application(recruiter)
    opening = application.opening
    applied, screening, interview = (_stage(opening, n) for n in
                                     ("Applied", "Screening", "Interview"))
    board = client.get(f"/staff/openings/{opening.id}")
    move_to(recruiter, application, interview)  # the other recruiter, a moment earlier
    ctx.commit()
    response = _htmx_move(client, csrf_from(board.text), application, screening, applied)
    assert response.status_code == 409
    assert "Someone else moved" in response.text and "a moment ago" in response.text
    # The card leaves the column it was seen in and shows up where it is now.
    assert f'id="cards-{interview.id}" hx-swap-oob="afterbegin"' in response.text
    assert f'id="count-{applied.id}" hx-swap-oob="true">0<' in response.text
    ctx.expire_all()
    assert ctx.get(Application, application.id).stage_id == interview.id


def test_a_refused_move_puts_the_card_back_with_the_reason(client, recruiter, ctx):
    application = make_application(recruiter)
    ctx.commit()
    opening = application.opening
    board = client.get(f"/staff/openings/{opening.id}")
    token = csrf_from(board.text)
    hired = _stage(opening, "Hired")
    assert _htmx_move(client, token, application, hired).status_code == 200
    refused = _htmx_move(client, token, application, _stage(opening, "Withdrawn"), hired)
    assert refused.status_code == 422
    assert "already closed" in refused.text and 'role="alert"' in refused.text
    assert "afterbegin" not in refused.text


def _tick(client, path, ids, **data):
    page = client.get(path)
    form = {"csrf_token": csrf_from(page.text), "application_id": [str(i) for i in ids],
            "back": path, **data}
    return form


def test_bulk_reject_writes_each_candidate_in_their_language(client, recruiter, ctx):
    opening = make_opening(recruiter)
    sv = make_application(recruiter, CandidateFactory(name="Sven Svensson", language="sv"),
                          opening)
    en = make_application(recruiter, CandidateFactory(name="Emma English", language="en"),
                          opening)
    closed = make_application(recruiter, CandidateFactory(name="Carl Closed"), opening)
    ctx.commit()
    client.post(f"/staff/applications/{closed.id}/move", data={
        "csrf_token": csrf_from(client.get("/staff/").text),
        "stage_id": _stage(opening, "Withdrawn").id})
    reason = ds.reasons(ctx)[0].label
    ctx.commit()
    form = _tick(client, "/staff/candidates", [sv.id, en.id, closed.id, 999999],
                 action="reject", kind="reject_screening", reason=reason)
    preview = client.post("/staff/bulk", data=form)
    assert preview.status_code == 200
    doing = preview.text.split('id="bulk-doing"')[1].split("</table>")[0]
    skipped = preview.text.split('id="bulk-skipped"')[1].split("</ul>")[0]
    assert "Sven Svensson" in doing and "Emma English" in doing
    assert "Carl Closed" in skipped and "already closed" in skipped and "999999" in skipped
    assert ctx.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.kind.like("outcome_%"))) == 0  # a preview changes nothing
    done = client.post("/staff/bulk/confirm", data=form)
    assert done.status_code == 303 and done.headers["Location"].endswith("/staff/candidates")
    ctx.expire_all()
    mails = {m.to_email: m for m in ctx.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "outcome_reject_screening"))}
    sv_words = ds.compose(ctx, sv, "reject_screening", "")[0]
    en_words = ds.compose(ctx, en, "reject_screening", "")[0]
    assert sv_words != en_words
    assert mails[sv.candidate.email].subject == sv_words
    assert mails[en.candidate.email].subject == en_words
    assert set(mails) == {sv.candidate.email, en.candidate.email}
    assert sv.stage.name == en.stage.name == "Not selected"
    page = client.get(done.headers["Location"]).text
    assert "Done for 2 candidates" in page and "Skipped Carl Closed" in page


def test_bulk_move_and_free_message(client, recruiter, ctx):
    first, second = make_application(recruiter), make_application(recruiter)
    ctx.commit()
    form = _tick(client, "/staff/candidates", [first.id, second.id], action="move",
                 stage_name="Interview")
    assert "Moves from Applied to Interview" in client.post("/staff/bulk", data=form).text
    assert client.post("/staff/bulk/confirm", data=form).status_code == 303
    ctx.expire_all()
    assert first.stage.name == second.stage.name == "Interview"
    note = _tick(client, "/staff/candidates", [first.id], action="message", kind="free",
                 subject="Hello", body="Thank you for your patience.")
    assert client.post("/staff/bulk/confirm", data=note).status_code == 303
    mail = ctx.scalar(select(OutboxMessage).where(OutboxMessage.kind == "outcome_note"))
    assert mail.subject == "Hello" and "Thank you for your patience." in mail.text_body
    empty = _tick(client, "/staff/candidates", [first.id], action="message", kind="free")
    refused = client.post("/staff/bulk/confirm", data=empty)
    assert refused.status_code == 422 and "needs a subject and a text" in refused.text


def test_bulk_booking_goes_to_the_booking_form_with_the_open_ones(client, recruiter, ctx):
    opening = make_opening(recruiter)
    one, two = _fill(recruiter, opening, 2)
    other = make_application(recruiter)
    ctx.commit()
    form = _tick(client, f"/staff/openings/{opening.id}", [one.id, two.id, other.id],
                 action="booking")
    preview = client.post("/staff/bulk", data=form).text
    assert "one opening at a time" in preview.split('id="bulk-skipped"')[1]
    done = client.post("/staff/bulk/confirm", data=form)
    assert done.status_code == 303 and f"/staff/openings/{opening.id}/booking/new?" in (
        done.headers["Location"])
    booking = client.get(done.headers["Location"])
    assert booking.status_code == 200
    assert one.candidate.name in booking.text and two.candidate.name in booking.text
    assert other.candidate.name not in booking.text


def test_bulk_refusals(client, recruiter, ctx, login):
    application = make_application(recruiter)
    UserFactory(email="int@example.com", role="interviewer")
    ctx.commit()
    listing = client.get("/staff/candidates").text
    assert f'value="{application.id}" form="bulk-form"' in listing and 'id="bulk-form"' in listing
    form = _tick(client, "/staff/candidates", [application.id], action="move",
                 stage_name="Interview")
    nothing = dict(form, application_id=["abc", "-1", "99999999999999", "²"])
    assert client.post("/staff/bulk", data=nothing).status_code == 303
    odd = client.post("/staff/bulk", data=dict(form, action="explode"))
    assert odd.status_code == 422 and "Choose what to do." in odd.text
    too_many = dict(form, application_id=[str(i) for i in range(1, 600)])
    assert client.post("/staff/bulk", data=too_many).status_code == 422
    assert client.post("/staff/bulk", data={k: v for k, v in form.items()
                                            if k != "csrf_token"}).status_code == 400
    client.post("/staff/logout", data={"csrf_token": form["csrf_token"]})
    login("int@example.com", PASSWORD)
    token = csrf_from(client.get("/staff/").text)
    assert "bulk-form" not in client.get("/staff/candidates").text  # no ticks, no bar
    for path in ("/staff/bulk", "/staff/bulk/confirm"):
        assert client.post(path, data=dict(form, csrf_token=token)).status_code == 403
    ctx.expire_all()
    assert application.stage.name == "Applied"


def test_ten_drags_of_one_card_at_once_move_it_once(app, ctx):
    """Ten recruiters drag the same card out of "Applied" at the same moment, each to
    another column: one move wins, the other nine are told (409), one history row."""
    from tests.concurrency.test_races import at_once, clones
    from tests.feedback.test_views import client_for

    if ctx.get_bind().dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite runs one writer at a time")
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    application = make_application(recruiter, CandidateFactory(name="Kim Kandidat"))
    ctx.commit()
    opening = application.opening
    applied = _stage(opening, "Applied")
    targets = [s for s in opening.stages if not s.is_end and s.id != applied.id]
    signed_in = client_for(app, "rec@example.com")
    token = csrf_from(signed_in.get(f"/staff/openings/{opening.id}").text)
    clients = clones(app, signed_in, 10)
    codes = at_once(10, lambda i: _htmx_move(clients[i], token, application,
                                             targets[i % len(targets)], applied).status_code)
    assert sorted(codes) == [200] + [409] * 9
    assert ctx.scalar(select(func.count(StageChange.id)).where(
        StageChange.application_id == application.id, StageChange.transition == "move")) == 1
