"""Stage rules: a stage writes to the candidate on entry, through the lifecycle, in the same
transaction, in the candidate's language; off by default; once per quiet period; never on
a closure, a decision or an invitation that writes its own message; once when two move at
once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.decisions import services as ds
from portal.errors import DomainError
from portal.hiring import services
from portal.messaging.models import OutboxMessage
from portal.process import lifecycle
from portal.process.models import StageEntryMessage
from portal.timeutil import utcnow
from tests.conftest import csrf_from
from tests.factories import (
    PASSWORD,
    CandidateFactory,
    UserFactory,
    make_application,
    move_to,
)


def _stage(application, name):
    return next(s for s in application.opening.stages if s.name == name)


def _stage_messages(ctx, candidate_id=None):
    query = select(OutboxMessage).where(OutboxMessage.kind.like("stage_%")).order_by(
        OutboxMessage.id)
    if candidate_id is not None:
        query = query.where(OutboxMessage.candidate_id == candidate_id)
    return list(ctx.scalars(query))


def _signed_in(app, email, language="en"):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    page = client.get("/staff/login")
    assert client.post("/staff/login", data={"email": email, "password": PASSWORD,
                                             "csrf_token": csrf_from(page.text)}).status_code == 303
    return client


@pytest.fixture()
def world(ctx):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    swede = make_application(recruiter, CandidateFactory(name="Sara Svensson", language="sv",
                                                         email="sara@example.com"))
    english = make_application(recruiter, CandidateFactory(name="Tom Taylor", language="en",
                                                           email="tom@example.com"),
                               opening=swede.opening)
    ctx.commit()
    return {"recruiter": recruiter, "sv": swede, "en": english, "opening": swede.opening}


def test_off_by_default_sends_nothing(ctx, world):
    application = world["sv"]
    assert all(s.entry_message == "" for s in application.opening.stages)
    for name in ("Screening", "Interview", "Offer"):
        move_to(world["recruiter"], application, _stage(application, name))
    ctx.commit()
    assert _stage_messages(ctx) == []


def test_the_form_sets_the_rule_and_previews_it_in_both_languages(app, ctx, world):
    stage = _stage(world["sv"], "Interview")
    staff = _signed_in(app, "rec@example.com")
    page = staff.get(f"/staff/stages/{stage.id}")
    assert page.status_code == 200
    assert "No message is sent on entering this stage." in page.text
    token = csrf_from(page.text)
    form = {"csrf_token": token, "name": stage.name, "public_name_sv": stage.public_name_sv,
            "public_name_en": stage.public_name_en, "entry_message": "next_round"}
    # Preview first (without JavaScript): nothing saved, both languages shown.
    preview = staff.post(f"/staff/stages/{stage.id}", data={**form, "action": "preview"})
    assert preview.status_code == 200
    assert "Nästa steg för tjänsten som Backend developer" in preview.text
    assert "Hej Alex," in preview.text
    assert "Next step for the Backend developer role" in preview.text
    ctx.expire_all()
    assert stage.entry_message == ""
    # The htmx preview returns only the partial.
    partial = staff.post(f"/staff/stages/{stage.id}", data={**form, "action": "preview"},
                         headers={"HX-Request": "true", "HX-Target": "entry-preview"})
    assert partial.text.lstrip().startswith('<div id="entry-preview"')
    assert "Hi Alex," in partial.text
    # An unknown choice is refused inline.
    bad = staff.post(f"/staff/stages/{stage.id}", data={**form, "entry_message": "reject_x"})
    assert bad.status_code == 422 and "Not a valid choice" in bad.text
    saved = staff.post(f"/staff/stages/{stage.id}", data=form)
    assert saved.status_code == 303
    ctx.expire_all()
    assert stage.entry_message == "next_round"
    again = staff.get(f"/staff/stages/{stage.id}").text
    assert "Nästa steg för tjänsten som Backend developer" in again
    # A closing stage has no rule: its outcome message is the decision's.
    end = _stage(world["sv"], "Not selected")
    assert "entry_message" not in staff.get(f"/staff/stages/{end.id}").text
    with pytest.raises(DomainError):
        services.set_entry_message(ctx, world["recruiter"], end, "next_round")
    # Interviewers do not edit stages.
    UserFactory(email="int@example.com", role="interviewer")
    ctx.commit()
    assert _signed_in(app, "int@example.com").get(f"/staff/stages/{stage.id}").status_code == 403


def test_a_move_writes_the_message_in_the_candidates_language(app, ctx, world):
    stage = _stage(world["sv"], "Interview")
    services.set_entry_message(ctx, world["recruiter"], stage, "next_round")
    ctx.commit()
    staff = _signed_in(app, "rec@example.com")
    token = csrf_from(staff.get(f"/staff/openings/{world['opening'].id}").text)
    for key in ("sv", "en"):
        response = staff.post(f"/staff/applications/{world[key].id}/move",
                              data={"stage_id": str(stage.id), "csrf_token": token})
        assert response.status_code == 303
    ctx.expire_all()
    swedish = _stage_messages(ctx, world["sv"].candidate_id)
    english = _stage_messages(ctx, world["en"].candidate_id)
    assert [(m.kind, m.to_email, m.subject) for m in swedish] == [
        ("stage_next_round", "sara@example.com", "Nästa steg för tjänsten som Backend developer")]
    assert swedish[0].text_body.startswith("Hej Sara,")
    assert "Vi hör av oss inom kort med en tid." in swedish[0].text_body
    assert [(m.kind, m.to_email, m.subject) for m in english] == [
        ("stage_next_round", "tom@example.com", "Next step for the Backend developer role")]
    assert english[0].text_body.startswith("Hi Tom,")
    # Written in the move's transaction: the history and the message are both there.
    assert world["sv"].stage_id == stage.id


def test_the_portal_link_goes_where_the_template_asks(app, ctx, settings, world):
    row = ds.template(ctx, "offer", "sv")
    ds.save_template(ctx, world["recruiter"], row, row.subject,
                     "Hej {name},\n\nSe erbjudandet här: {portal_link}\n\nVälkommen!")
    offer = _stage(world["sv"], "Offer")
    services.set_entry_message(ctx, world["recruiter"], offer, "offer")
    move_to(world["recruiter"], world["sv"], offer)
    ctx.commit()
    (message,) = _stage_messages(ctx)
    line = next(x for x in message.text_body.splitlines() if x.startswith("Se erbjudandet här: "))
    link = line.removeprefix("Se erbjudandet här: ")
    assert link.startswith(f"{settings.base_url}/c/")
    assert link.endswith(f"?next=/portal/applications/{world['sv'].id}")
    # The link signs the candidate in and leads to their application.
    candidate = app.test_client()
    opened = candidate.get(link.removeprefix(settings.base_url))
    assert opened.status_code == 303
    assert opened.headers["Location"].endswith(f"/portal/applications/{world['sv'].id}")
    # A template that does not ask gets no link (and none is issued).
    english = _stage_messages(ctx, world["en"].candidate_id)
    assert english == []
    move_to(world["recruiter"], world["en"], offer)
    ctx.commit()
    (message,) = _stage_messages(ctx, world["en"].candidate_id)
    assert "/c/" not in message.text_body


def test_no_second_message_when_coming_back_within_a_day(ctx, world):
    application, recruiter = world["en"], world["recruiter"]
    interview, screening = _stage(application, "Interview"), _stage(application, "Screening")
    services.set_entry_message(ctx, recruiter, interview, "next_round")
    move_to(recruiter, application, interview)
    move_to(recruiter, application, screening)
    move_to(recruiter, application, interview)  # a slip undone: not news to them
    ctx.commit()
    assert len(_stage_messages(ctx)) == 1
    # A day later a return is news again (the stored time stands in for the clock).
    ctx.execute(update(StageEntryMessage).values(
        sent_at=utcnow() - timedelta(hours=24, minutes=1)))
    move_to(recruiter, application, screening)
    move_to(recruiter, application, interview)
    ctx.commit()
    assert len(_stage_messages(ctx)) == 2


def test_closures_decisions_and_invitations_bring_their_own_message(ctx, settings, world):
    recruiter = world["recruiter"]
    for stage in world["opening"].stages:
        if not stage.is_end:
            services.set_entry_message(ctx, recruiter, stage, "next_round")
    # A recorded decision writes its own message: no stage message as well.
    lifecycle.decide(ctx, settings, recruiter, world["sv"], "advance")
    assert world["sv"].stage.name == "Screening"
    # An interview scheduled with its invitation: the invitation is the news.
    lifecycle.schedule(ctx, settings, recruiter, world["en"], _interview_data(), send=True)
    assert world["en"].stage.name == "Interview"
    # A rejection closes with its outcome message.
    lifecycle.reject(ctx, settings, recruiter, world["sv"], "")
    ctx.commit()
    assert _stage_messages(ctx) == []
    kinds = list(ctx.scalars(select(OutboxMessage.kind)))
    assert "candidate_invitation" in kinds
    # Reopening returns to an open stage with a rule: that one writes.
    lifecycle.reopen(ctx, settings, recruiter, world["sv"])
    ctx.commit()
    assert [m.to_email for m in _stage_messages(ctx)] == ["sara@example.com"]


def test_scheduling_writes_unless_an_invitation_goes_or_the_candidate_booked(ctx, settings,
                                                                            world):
    recruiter = world["recruiter"]
    services.set_entry_message(ctx, recruiter, _stage(world["sv"], "Interview"), "next_round")
    # Staff schedule now and invite later: the stage's message tells the candidate.
    lifecycle.schedule(ctx, settings, recruiter, world["sv"], _interview_data())
    # The candidate booked a time themselves: they know, and their invitation follows.
    lifecycle.schedule(ctx, settings, lifecycle.Actor.candidate(world["en"].candidate),
                       world["en"], _interview_data())
    ctx.commit()
    assert world["en"].stage.name == "Interview"
    assert [(m.to_email, m.kind) for m in _stage_messages(ctx)] == [
        ("sara@example.com", "stage_next_round")]


def _interview_data():
    return services.InterviewData(
        round_name="First interview", starts_at=(utcnow() + timedelta(days=2)).replace(
            microsecond=0), duration_minutes=45, platform="zoom",
        meeting_url="https://zoom.us/j/12345678901", what_to_expect="", preparation="",
        interviewer_ids=[])


def test_two_moves_at_once_send_one_message(app, ctx, world):
    stage = _stage(world["sv"], "Interview")
    services.set_entry_message(ctx, world["recruiter"], stage, "next_round")
    UserFactory(email="rec2@example.com", role="recruiter")
    ctx.commit()
    clients = [_signed_in(app, "rec@example.com"), _signed_in(app, "rec2@example.com")]
    tokens = [csrf_from(c.get(f"/staff/openings/{world['opening'].id}").text) for c in clients]
    app_id, stage_id = world["sv"].id, stage.id
    start = threading.Barrier(2)
    codes: list[object] = [None, None]

    def run(i: int) -> None:
        start.wait()
        try:
            codes[i] = clients[i].post(f"/staff/applications/{app_id}/move",
                                       data={"stage_id": str(stage_id),
                                             "csrf_token": tokens[i]}).status_code
        except BaseException as exc:  # noqa: BLE001 - raised below, in the test's thread
            codes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [303, 303], codes
    ctx.expire_all()
    assert len(_stage_messages(ctx)) == 1
    assert ctx.scalar(select(StageEntryMessage.stage_id)) == stage_id


def test_two_writers_at_once_without_the_lock_still_write_once(app, ctx, settings, world):
    """The row per application and stage is the net under the application's lock: two
    transactions that both try to announce the same entry at once write one message."""
    from portal.extensions import db
    from portal.hiring.models import Application
    from portal.process import stage_rules

    stage = _stage(world["sv"], "Interview")
    services.set_entry_message(ctx, world["recruiter"], stage, "next_round")
    move_to(world["recruiter"], world["sv"], stage)
    ctx.execute(update(StageEntryMessage).values(sent_at=utcnow() - timedelta(days=2)))
    ctx.commit()
    app_id = world["sv"].id
    start = threading.Barrier(2)
    wrote: list[object] = [None, None]

    def run(i: int) -> None:
        try:
            with app.app_context():
                application = db.session.get(Application, app_id)
                start.wait()
                wrote[i] = stage_rules.announce_entry(db.session, settings, application)
                db.session.commit()
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - raised below, in the test's thread
            wrote[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wrote, key=str) == [False, True], wrote
    ctx.expire_all()
    assert len(_stage_messages(ctx)) == 2  # the move's own, and one of the two


def test_an_outcome_message_fills_the_portal_link_when_it_is_sent(ctx, settings, world):
    row = ds.template(ctx, "next_round", "en")
    ds.save_template(ctx, world["recruiter"], row, row.subject,
                     "Hi {name},\n\nYour process: {portal_link}\n\n{personal_line}")
    subject, body = ds.compose(ctx, world["en"], "next_round", "")
    assert "Your process: {portal_link}" in body  # staff see the place, not a live link
    ds.schedule(ctx, world["recruiter"], world["en"], "next_round", subject, body, None,
                settings)
    ctx.commit()
    (message,) = ctx.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "outcome_next_round")).all()
    assert f"Your process: {settings.base_url}/c/" in message.text_body
    assert "{portal_link}" not in message.text_body + message.html_body
