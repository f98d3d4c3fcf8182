"""Staff notes with @mentions, the message thread both ways, the activity feed in words and
the audit log in words: real SMTP on loopback, real databases, need to know, erasure and
export, odd input and CSRF."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from portal.extensions import db
from portal.hiring import messages as thread_service
from portal.hiring import search
from portal.hiring.conversation import CandidateMessage, StaffNote
from portal.messaging.models import OutboxMessage
from portal.messaging.worker import run_once
from portal.privacy.models import AuditEvent
from portal.process import lifecycle
from portal.process.feed import feed
from portal.timeutil import utcnow
from tests.booking.helpers import candidate_client
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


@pytest.fixture()
def world(ctx):
    """Anna Berg (reads Swedish) in two openings; Maria Lind is the responsible recruiter
    of the first; Ida Ek sits on the first one's panel; Olle Ute sits on no panel."""
    maria = UserFactory(name="Maria Lind", email="maria@example.com", role="recruiter")
    per = UserFactory(name="Per Holm", email="per@example.com", role="recruiter")
    ida = UserFactory(name="Ida Ek", email="ida@example.com", role="interviewer")
    olle = UserFactory(name="Olle Ute", email="olle@example.com", role="interviewer")
    admin = UserFactory(name="Ada Admin", email="admin@example.com", role="admin")
    anna = CandidateFactory(name="Anna Berg", email="anna@example.com", language="sv")
    first = make_opening(maria, "Backend developer")
    first.recruiter_id = maria.id
    mine = make_application(maria, anna, first)
    other = make_application(per, anna, make_opening(per, "Secret team lead"))
    make_interview(maria, mine, interviewers=[ida], round_name="Panel round")
    move_to(per, other, next(s for s in other.opening.stages if s.name == "Screening"))
    ctx.commit()
    return {"maria": maria, "per": per, "ida": ida, "olle": olle, "admin": admin,
            "anna": anna, "mine": mine, "other": other}


def _page(client, candidate_id):
    page = client.get(f"/staff/candidates/{candidate_id}")
    assert page.status_code == 200
    return page


def _note(client, candidate_id, body, token=None):
    token = token or csrf_from(_page(client, candidate_id).text)
    return client.post(f"/staff/candidates/{candidate_id}/notes",
                       data={"csrf_token": token, "body": body})


def _text(message) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def _to(inbox, address):
    return [m for m in inbox.messages if address in m["To"]]


# ---------------------------------------------------------------- notes and mentions


def test_a_mention_emails_the_colleague_a_link_to_the_candidate_page(app, ctx, world,
                                                                      smtp_server, settings):
    anna = world["anna"]
    maria = client_for(app, "maria@example.com")
    saved = _note(maria, anna.id, "Strong in SQL. @Ida Ek please ask about Postgres, "
                                  "and @per what do you think? @Olle Ute is not on the panel.")
    assert saved.status_code == 303
    note = ctx.scalar(select(StaffNote))
    assert note.author_id == world["maria"].id
    assert sorted(note.mentions) == sorted([world["ida"].id, world["per"].id])
    run_once(app)
    for address in ("ida@example.com", "per@example.com"):
        [mail] = _to(smtp_server, address)
        assert mail["Subject"] == "Maria Lind mentioned you in a note"
        body = _text(mail)
        assert f"{settings.base_url}/staff/candidates/{anna.id}#note-{note.id}" in body
        assert "/c/" not in body and "Anna" not in body  # no sign-in link, no name
    assert _to(smtp_server, "olle@example.com") == []  # may not see Anna: no mention
    assert _to(smtp_server, "maria@example.com") == []
    # The note is in the feed, and audited.
    page = _page(maria, anna.id).text
    assert "Maria Lind wrote a note" in page and "Strong in SQL." in page
    assert ctx.scalar(select(AuditEvent.id).where(AuditEvent.action == "note_added"))


def test_a_first_name_that_fits_two_colleagues_asks_for_the_full_name(app, ctx, world):
    UserFactory(name="Maria Svensson", email="maria.s@example.com", role="recruiter")
    ctx.commit()
    client = client_for(app, "per@example.com")
    refused = _note(client, world["anna"].id, "Ask @maria about it")
    assert refused.status_code == 422
    assert "fits more than one colleague" in refused.text and "Ask @maria about it" in refused.text
    assert ctx.scalar(select(StaffNote.id)) is None
    assert _note(client, world["anna"].id, "Ask @Maria Svensson").status_code == 303


@pytest.mark.parametrize("body, status", [
    ("", 422), ("   \n\t ", 422), ("x" * 5001, 422), ("\x07\x1b\x7f", 422),
    ("a\x00b", 400),  # the house refuses a NUL in any form (portal.web)
    ("Fine text\u202e with\x1b controls\u2028", 303), ("@", 303), ("@@@ @ @.", 303),
    ("a@b.se is an address, not a mention", 303)])
def test_odd_notes_get_an_inline_message_or_are_cleaned(app, ctx, world, body, status):
    client = client_for(app, "per@example.com")
    answer = _note(client, world["anna"].id, body)
    assert answer.status_code == status
    if status == 422:
        assert 'class="error"' in answer.text
    elif status == 400:
        assert ctx.scalar(select(StaffNote.id)) is None
    else:
        stored = ctx.scalar(select(StaffNote.body))
        assert not re.search(r"[\x00-\x08\x0b-\x1f\u202e]", stored)
        assert ctx.scalar(select(OutboxMessage.id)) is None  # nobody named


def test_notes_without_a_csrf_token_are_refused(app, ctx, world):
    client = client_for(app, "per@example.com")
    answer = client.post(f"/staff/candidates/{world['anna'].id}/notes", data={"body": "x"})
    assert answer.status_code == 400
    assert ctx.scalar(select(StaffNote.id)) is None


def test_only_the_author_or_an_admin_changes_or_deletes_a_note(app, ctx, world):
    anna = world["anna"]
    maria = client_for(app, "maria@example.com")
    _note(maria, anna.id, "First impression: calm")
    note = ctx.scalar(select(StaffNote))
    per = client_for(app, "per@example.com")
    token = csrf_from(_page(per, anna.id).text)
    assert per.post(f"/staff/notes/{note.id}", data={"csrf_token": token,
                                                     "body": "hijacked"}).status_code == 403
    assert per.post(f"/staff/notes/{note.id}/delete",
                    data={"csrf_token": token}).status_code == 403
    ctx.expire_all()
    assert ctx.get(StaffNote, note.id).body == "First impression: calm"
    # The author changes it; the change is marked and audited.
    token = csrf_from(_page(maria, anna.id).text)
    assert maria.post(f"/staff/notes/{note.id}", data={"csrf_token": token,
                                                       "body": "Calm and clear"}).status_code == 303
    assert maria.post(f"/staff/notes/{note.id}", data={"csrf_token": token,
                                                       "body": ""}).status_code == 422
    ctx.expire_all()
    assert ctx.get(StaffNote, note.id).body == "Calm and clear"
    assert ctx.get(StaffNote, note.id).edited_at is not None
    # An admin deletes it.
    admin = client_for(app, "admin@example.com")
    token = csrf_from(_page(admin, anna.id).text)
    assert admin.post(f"/staff/notes/{note.id}/delete",
                      data={"csrf_token": token}).status_code == 303
    assert ctx.scalar(select(StaffNote.id)) is None
    actions = list(ctx.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("note_%")).order_by(AuditEvent.id)))
    assert actions == ["note_added", "note_changed", "note_deleted"]
    # A note that does not exist, or on a candidate out of reach, is a 404.
    assert admin.post("/staff/notes/999999", data={"csrf_token": token,
                                                   "body": "x"}).status_code == 404


def test_notes_feed_the_search_for_recruiters_only(app, ctx, world):
    anna = world["anna"]
    _note(client_for(app, "maria@example.com"), anna.id, "Speaks fluent Quenya")
    ctx.expire_all()
    today = utcnow().date()
    found = search.search(ctx, search.Query(q="quenya"), today)
    assert [c.id for c, _r in found.rows] == [anna.id]
    ida = world["ida"]
    from portal.hiring.services import visible_application_ids

    hidden = search.search(ctx, search.Query(q="quenya"), today,
                           visible=visible_application_ids(ida), full=False)
    assert hidden.rows == []
    # Deleting the note takes its words out of the index.
    note = ctx.scalar(select(StaffNote))
    ctx.delete(note)
    ctx.commit()
    assert search.search(ctx, search.Query(q="quenya"), today).rows == []


def test_an_interviewer_reads_only_their_own_notes_and_those_that_name_them(app, ctx, world):
    anna = world["anna"]
    _note(client_for(app, "maria@example.com"), anna.id, "Salary talk went badly")
    _note(client_for(app, "per@example.com"), anna.id, "@Ida Ek check the Postgres answer")
    ida = client_for(app, "ida@example.com")
    assert _note(ida, anna.id, "Good at whiteboarding").status_code == 303
    page = _page(ida, anna.id).text
    assert "Salary talk" not in page
    assert "check the Postgres answer" in page and "Good at whiteboarding" in page
    assert 'id="messages"' not in page  # the thread is for recruiters
    # Olle, on no panel of Anna's, cannot reach her page or write a note on her.
    olle = client_for(app, "olle@example.com")
    assert olle.get(f"/staff/candidates/{anna.id}").status_code == 404
    token = csrf_from(olle.get("/staff/").text)
    assert olle.post(f"/staff/candidates/{anna.id}/notes",
                     data={"csrf_token": token, "body": "x"}).status_code == 404


# ---------------------------------------------------------------- the feed


def test_the_feed_tells_the_history_in_words_newest_first(app, ctx, world, smtp_server):
    anna, mine = world["anna"], world["mine"]
    interview = mine.interviews[0]  # scheduling it moved Anna to the Interview stage
    interview.response, interview.responded_at = "confirmed", utcnow()
    ctx.commit()
    from portal.hiring import notify

    notify.send_invitation(ctx, app.config["PORTAL"], interview)
    ctx.commit()
    run_once(app)
    maria = client_for(app, "maria@example.com")
    page = html.unescape(_page(maria, anna.id).text)
    for words in ("Maria Lind moved Anna Berg to Interview (Backend developer)",
                  "Per Holm moved Anna Berg to Screening (Secret team lead)",
                  "Anna Berg confirmed the interview on",
                  "Interview “Panel round” scheduled for",
                  "Email “Inbjudan till intervju: Backend developer” delivered",  # as sent
                  "Maria Lind opened Anna Berg's page"):
        assert words in page, words
    feed_part = page[page.index('class="feed"'):]
    assert feed_part.index("Anna Berg confirmed") < feed_part.index("Interview “Panel round”")
    # In Swedish, with Swedish stage names and dates.
    maria.environ_base["HTTP_ACCEPT_LANGUAGE"] = "sv"
    swedish = html.unescape(_page(maria, anna.id).text)
    assert "Maria Lind flyttade Anna Berg till Intervju (Backend developer)" in swedish
    assert "Anna Berg bekräftade intervjun den" in swedish
    assert "Maria Lind öppnade Anna Bergs sida" in swedish


def test_an_interviewers_feed_holds_only_their_panels_process(app, ctx, world):
    anna = world["anna"]
    ida = client_for(app, "ida@example.com")
    page = html.unescape(_page(ida, anna.id).text)
    assert "Interview “Panel round” scheduled for" in page
    assert "Secret team lead" not in page and "Screening" not in page
    assert "opened Anna Berg's page" not in page  # the audit log is not theirs


def _selects(app, fn):
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def test_the_feed_takes_the_same_queries_however_long_the_history(app, ctx, world, settings):
    anna, maria = world["anna"], world["maria"]
    apps = [world["mine"], world["other"]]

    def build():
        ctx.expire_all()
        person = ctx.get(type(anna), anna.id)
        viewer = ctx.get(type(maria), maria.id)
        items = feed(ctx, viewer, person, list(person.applications), "Europe/Stockholm")
        assert items

    small = _selects(app, build)
    for n in range(6):
        make_interview(maria, world["mine"], round_name=f"Round {n}")
        ctx.add(StaffNote(candidate_id=anna.id, author_id=maria.id, body=f"note {n}"))
        ctx.add(CandidateMessage(candidate_id=anna.id, direction="in", body=f"hi {n}"))
    for stage in apps[1].opening.stages[2:5]:
        move_to(world["per"], apps[1], stage)
    ctx.commit()
    assert _selects(app, build) == small


# ---------------------------------------------------------------- messages both ways


def _send(client, candidate_id, **data):
    token = csrf_from(_page(client, candidate_id).text)
    return client.post(f"/staff/candidates/{candidate_id}/messages",
                       data={"csrf_token": token, **data})


def test_a_message_reaches_the_candidate_who_answers_and_the_recruiter_hears(
        app, ctx, world, smtp_server, settings):
    anna = world["anna"]
    per = client_for(app, "per@example.com")
    preview = _send(per, anna.id, action="preview", subject="Nästa steg",
                    body="Hej Anna!\nKan du ta med betyg?")
    assert preview.status_code == 200 and "Preview: what the candidate reads" in preview.text
    assert ctx.scalar(select(CandidateMessage.id)) is None  # a preview sends nothing
    sent = _send(per, anna.id, action="send", subject="Nästa steg",
                 body="Hej Anna!\nKan du ta med betyg?")
    assert sent.status_code == 303
    run_once(app)
    [mail] = _to(smtp_server, "anna@example.com")
    # Anna reads Swedish; the email says there is a message and carries her link, and
    # her replies reach the opening's responsible recruiter.
    assert mail["Subject"] == "Nytt meddelande: Nästa steg"
    assert mail["Reply-To"] == "Maria Lind <maria@example.com>"
    body = _text(mail)
    assert "Per Holm har skrivit ett meddelande till dig" in body
    assert "Kan du ta med betyg" not in body  # the words stay in the portal
    link = re.search(r"(/c/[^\s?]+)\?next=/portal/messages", body)
    assert link
    status = ctx.scalar(select(OutboxMessage.status).join(
        CandidateMessage, CandidateMessage.outbox_message_id == OutboxMessage.id))
    assert status == "sent"
    # Anna opens the link: the nav counts the unread message, the thread shows it.
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "sv"
    assert client.get(link.group(0)).status_code == 303
    overview = client.get("/portal/").text
    assert re.search(r'Meddelanden <span class="badge count"[^>]*>1</span>', overview)
    thread = client.get("/portal/messages").text
    assert "Kan du ta med betyg?" in thread and "Per Holm" in thread
    assert 'class="badge count"' not in client.get("/portal/").text  # read now
    # She answers; Maria (responsible recruiter) is told, with a link to the staff page.
    answer = client.post("/portal/messages", data={"csrf_token": csrf_from(thread),
                                                   "body": "Ja, det gör jag."})
    assert answer.status_code == 303
    assert "Ja, det gör jag." in client.get("/portal/messages").text
    run_once(app)
    [told] = _to(smtp_server, "maria@example.com")
    assert told["Subject"] == "A candidate answered in the portal"
    told_body = _text(told)
    assert f"{settings.base_url}/staff/candidates/{anna.id}#messages" in told_body
    assert "Anna" not in told_body and "/c/" not in told_body
    # Staff see it unanswered, in the feed and the thread, until someone writes back.
    page = _page(per, anna.id).text
    assert "Unanswered messages from the candidate: 1." in page
    assert "Anna Berg answered" in page and "Ja, det gör jag." in page
    dashboard = per.get("/staff/").text
    assert "Messages from candidates waiting for an answer" in dashboard
    assert f'href="/staff/candidates/{anna.id}#messages">Anna Berg</a>' in dashboard
    _send(per, anna.id, action="send", body="Tack!")
    assert "Unanswered messages" not in _page(per, anna.id).text
    assert "waiting for an answer</h2>" not in per.get("/staff/").text


def test_without_a_responsible_recruiter_the_reply_to_is_the_configured_address(
        app, ctx, world, smtp_server):
    world["mine"].opening.recruiter_id = None
    ctx.commit()
    app.config["PORTAL"] = replace(app.config["PORTAL"],
                                   mail_reply_to="Rekrytering <jobb@example.com>")
    _send(client_for(app, "per@example.com"), world["anna"].id, action="send", body="Hej")
    run_once(app)
    [mail] = _to(smtp_server, "anna@example.com")
    assert mail["Reply-To"] == "Rekrytering <jobb@example.com>"


def test_a_recruiter_named_with_odd_letters_is_a_sound_reply_to(app, ctx, world, smtp_server):
    maria = ctx.merge(world["maria"])
    maria.name = 'Åsa "Boss" Öberg, HR'
    ctx.commit()
    _send(client_for(app, "per@example.com"), world["anna"].id, action="send", body="Hej")
    run_once(app)
    [mail] = _to(smtp_server, "anna@example.com")
    [address] = mail["Reply-To"].addresses
    assert (address.display_name, address.addr_spec) == ("Åsa Boss Öberg, HR",
                                                         "maria@example.com")


def test_a_template_fills_the_message_in_the_candidates_language(app, ctx, world):
    client = client_for(app, "per@example.com")
    filled = _send(client, world["anna"].id, action="template", template="next_round")
    assert filled.status_code == 200
    body = re.search(r'<textarea id="msg-body"[^>]*>([^<]*)</textarea>', filled.text).group(1)
    assert "Anna" in body and "{name}" not in body
    # As an htmx swap, only the composer comes back.
    partial = client.post(f"/staff/candidates/{world['anna'].id}/messages",
                          data={"csrf_token": csrf_from(filled.text), "action": "preview",
                                "body": "Hej"},
                          headers={"HX-Request": "true", "HX-Target": "message-compose"})
    assert partial.status_code == 200 and partial.text.startswith('<div id="message-compose">')


@pytest.mark.parametrize("body", ["", " \n ", "x" * 4001, "\x1b\x07"])
def test_odd_messages_from_staff_get_an_inline_message(app, ctx, world, body):
    answer = _send(client_for(app, "per@example.com"), world["anna"].id, action="send",
                   body=body)
    assert answer.status_code == 422 and 'id="msg-error"' in answer.text
    assert ctx.scalar(select(CandidateMessage.id)) is None


def test_interviewers_cannot_write_to_candidates(app, ctx, world):
    ida = client_for(app, "ida@example.com")
    token = csrf_from(_page(ida, world["anna"].id).text)
    answer = ida.post(f"/staff/candidates/{world['anna'].id}/messages",
                      data={"csrf_token": token, "body": "hi", "action": "send"})
    assert answer.status_code == 403
    assert ctx.scalar(select(CandidateMessage.id)) is None


@pytest.mark.parametrize("body", ["", "   ", "x" * 4001, "\x1b\x07"])
def test_odd_answers_from_the_candidate_get_an_inline_message(app, ctx, world, body):
    client = candidate_client(app, world["anna"])
    page = client.get("/portal/messages")
    answer = client.post("/portal/messages", data={"csrf_token": csrf_from(page.text),
                                                   "body": body})
    assert answer.status_code == 422 and 'id="body-error"' in answer.text
    assert ctx.scalar(select(CandidateMessage.id)) is None


def test_the_candidates_answers_need_csrf_and_are_rate_limited(app, ctx, world):
    client = candidate_client(app, world["anna"])
    assert client.post("/portal/messages", data={"body": "no token"}).status_code == 400
    token = csrf_from(client.get("/portal/messages").text)
    for n in range(thread_service.ANSWERS_PER_HOUR):
        assert client.post("/portal/messages", data={"csrf_token": token,
                                                     "body": f"m{n}"}).status_code == 303
    refused = client.post("/portal/messages", data={"csrf_token": token, "body": "one more"})
    assert refused.status_code == 422 and "många meddelanden" in refused.text
    assert "one more" in refused.text  # what she typed is kept
    assert ctx.scalar(select(db.func.count(CandidateMessage.id))) == \
        thread_service.ANSWERS_PER_HOUR


def test_a_closed_application_still_reads_and_answers_the_thread(app, ctx, world, settings):
    anna = world["anna"]
    _send(client_for(app, "per@example.com"), anna.id, action="send", body="Vi hörs")
    for application in (world["mine"], world["other"]):
        lifecycle.withdraw(ctx, settings, world["maria"], application, "")
    ctx.commit()
    client = candidate_client(app, anna)
    page = client.get("/portal/messages")
    assert page.status_code == 200 and "Vi hörs" in page.text
    assert client.post("/portal/messages", data={"csrf_token": csrf_from(page.text),
                                                 "body": "Tack ändå"}).status_code == 303
    # Staff may still write while her links work; long after, the page says why not.
    per = client_for(app, "per@example.com")
    assert 'id="msg-body"' in _page(per, anna.id).text
    for application in (world["mine"], world["other"]):
        ctx.merge(application).closed_at = utcnow() - timedelta(
            days=settings.link_grace_days + 1)
    ctx.commit()
    assert "can no longer open the portal" in _page(per, anna.id).text
    refused = _send(per, anna.id, action="send", body="Hallå?")
    assert refused.status_code == 422 and "can no longer open the portal" in refused.text
    assert [m.body for m in ctx.scalars(select(CandidateMessage).where(
        CandidateMessage.direction == "out"))] == ["Vi hörs"]
    assert client.get("/portal/messages").status_code == 302  # her link has closed too


def test_erasure_removes_notes_and_thread_and_export_holds_them(app, ctx, world, settings):
    anna = world["anna"]
    _note(client_for(app, "maria@example.com"), anna.id, "Anna Berg knows Rust")
    _send(client_for(app, "per@example.com"), anna.id, action="send", body="Hej Anna Berg")
    client = candidate_client(app, anna)
    thread = client.get("/portal/messages").text
    client.post("/portal/messages", data={"csrf_token": csrf_from(thread), "body": "Hej!"})
    ctx.expire_all()
    data = lifecycle.export(ctx, ctx.get(type(anna), anna.id))
    assert [n["text"] for n in data["notes_from_staff"]] == ["Anna Berg knows Rust"]
    assert [(m["from"], m["text"]) for m in data["messages"]] == [
        ("out", "Hej Anna Berg"), ("in", "Hej!")]
    ctx.commit()  # the export is audited
    # The candidate's readable copy shows them in words.
    mine = client.get("/portal/my-data")
    assert mine.status_code == 200
    assert "Anteckningar som vår personal skrivit om dig" in mine.text
    assert "Anna Berg knows Rust" in mine.text and "Hej!" in mine.text
    assert '"notes_from_staff"' in client.get("/portal/my-data.json").text
    lifecycle.erase(ctx, settings, ctx.get(type(anna), anna.id), actor_kind="candidate")
    ctx.commit()
    assert ctx.scalar(select(StaffNote.id)) is None
    assert ctx.scalar(select(CandidateMessage.id)) is None
    # Staff cannot write to an erased candidate; the page says why.
    page = _page(client_for(app, "per@example.com"), anna.id).text
    assert "can no longer open the portal" in page
    # The audit log calls her erased, never by her old name.
    log = client_for(app, "admin@example.com").get(f"/staff/audit?candidate={anna.id}").text
    assert "an erased candidate" in log and "Anna Berg" not in log
    assert "Maria Lind wrote a note on an erased candidate" in log


# ---------------------------------------------------------------- the audit log


def test_the_audit_log_speaks_in_names_and_words_and_keeps_its_filters(app, ctx, world):
    anna = world["anna"]
    _page(client_for(app, "maria@example.com"), anna.id)
    admin = client_for(app, "admin@example.com")
    page = html.unescape(admin.get("/staff/audit").text)
    assert "Maria Lind opened Anna Berg's page" in page
    assert f"user {world['maria'].id}" not in page
    only = html.unescape(admin.get(f"/staff/audit?candidate={anna.id}&action=viewed").text)
    assert "Maria Lind opened Anna Berg's page" in only and "Events for Anna Berg." in only
    none = admin.get(f"/staff/audit?candidate={anna.id}&action=erased").text
    assert "Nothing found." in none
    admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "sv"
    assert "Maria Lind öppnade Anna Bergs sida" in admin.get("/staff/audit").text
    csv_text = admin.get("/staff/audit?format=csv").text
    assert "Maria Lind opened Anna Berg's page" in csv_text or "öppnade" in csv_text


def test_the_opening_names_its_responsible_recruiter(app, ctx, world):
    client = client_for(app, "per@example.com")
    opening = world["other"].opening
    page = client.get(f"/staff/openings/{opening.id}/edit")
    assert page.status_code == 200 and "Responsible recruiter" in page.text
    data = {"csrf_token": csrf_from(page.text), "title": opening.title, "team": "",
            "description": "", "language": "en", "response_days": "5",
            "reference_questions": "", "recruiter_id": str(world["per"].id)}
    assert client.post(f"/staff/openings/{opening.id}/edit", data=data).status_code == 303
    ctx.expire_all()
    assert ctx.get(type(opening), opening.id).recruiter_id == world["per"].id
    # Someone who is not a recruiter is not a choice.
    data["recruiter_id"] = str(world["ida"].id)
    assert client.post(f"/staff/openings/{opening.id}/edit", data=data).status_code == 422
