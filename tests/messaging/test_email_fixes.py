"""What outside tools found in the emails, each pinned by a test that read the real output:
calendar files in UTC, read by a second parser (vobject, not the icalendar that wrote them);
the calendar part's charset; a cancellation for one removed interviewer; "today" or
"tomorrow" in the reader's zone; the join link and wrapping links; Reply-To; the pool
footer; one-click unsubscribe (RFC 8058) on talent-pool invitations."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
import vobject
from sqlalchemy import select

from portal.hiring import notify
from portal.hiring.models import Interview
from portal.hiring.services import InterviewData
from portal.messaging.models import OutboxMessage
from portal.messaging.worker import build_email, run_once
from portal.pool import consent as membership
from portal.pool import services as pool_services
from portal.pool.models import PoolInvite, TalentProfile
from portal.privacy import services as privacy
from portal.privacy.models import AuditEvent
from portal.process import lifecycle
from portal.settings import SettingsError, load_settings
from portal.timeutil import utcnow
from tests.factories import (
    CandidateFactory,
    UserFactory,
    make_application,
    make_interview,
    make_opening,
)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
MEETING = ("https://teams.microsoft.com/l/meetup-join/19%3ameeting_" + "N2Y5ZTA4" * 12
           + "%40thread.v2/0")


def _messages(ctx, **where) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    for name, value in where.items():
        query = query.where(getattr(OutboxMessage, name) == value)
    return list(ctx.scalars(query))


def _unfolded(ics: str) -> str:
    return ics.replace("\r\n ", "").replace("\n ", "")


def _data(interview: Interview, **changes) -> InterviewData:
    fields = {"round_name": interview.round_name, "starts_at": interview.starts_at,
              "duration_minutes": interview.duration_minutes, "platform": interview.platform,
              "meeting_url": interview.meeting_url, "what_to_expect": interview.what_to_expect,
              "preparation": interview.preparation,
              "interviewer_ids": [u.id for u in interview.interviewers]}
    return InterviewData(**{**fields, **changes})


@pytest.fixture()
def lifecycle_of_one_interview(ctx, settings):
    """Invited with a Stockholm time (as the back-office form gives it), moved an hour
    with one interviewer taken off, then cancelled."""
    recruiter = UserFactory(role="recruiter")
    keep = UserFactory(role="interviewer", name="Kim Keep", language="sv")
    drop = UserFactory(role="interviewer", name="Dana Drop", language="en")
    start = (utcnow() + timedelta(days=3)).astimezone(STOCKHOLM).replace(
        hour=14, minute=0, second=0, microsecond=0)
    candidate = CandidateFactory(name="Åsa Öberg", language="sv")
    interview = make_interview(recruiter, make_application(recruiter, candidate),
                               starts_at=start, interviewers=[keep, drop],
                               round_name="Webbintervju – Åäö")
    notify.send_invitation(ctx, settings, interview)
    ctx.flush()
    lifecycle.reschedule(ctx, settings, recruiter, interview, _data(
        interview, starts_at=start + timedelta(hours=1), interviewer_ids=[keep.id]))
    ctx.flush()
    lifecycle.cancel_interview(ctx, settings, recruiter, interview)
    ctx.commit()
    return {"interview": interview, "candidate": candidate, "keep": keep, "drop": drop,
            "start": start}


# ---------------------------------------------------------------- 1. UTC, UID, SEQUENCE


def test_every_calendar_file_of_every_revision_is_utc_with_one_uid_and_growing_sequence(
        ctx, lifecycle_of_one_interview):
    world = lifecycle_of_one_interview
    messages = [m for m in _messages(ctx) if m.ics]
    kinds = [m.kind for m in messages]
    assert kinds.count("candidate_invitation") == 1 and kinds.count("candidate_update") == 1
    assert kinds.count("candidate_cancellation") == 1
    sequences = []
    for message in messages:
        raw = _unfolded(message.ics)
        assert "TZID" not in raw or "BEGIN:VTIMEZONE" in raw, message.kind
        assert "TZID" not in raw  # UTC throughout: nothing to define
        event = vobject.readOne(message.ics).vevent
        start = event.dtstart.value
        assert start.utcoffset() == timedelta(0) and start.tzname() == "UTC", message.kind
        assert event.dtend.value.utcoffset() == timedelta(0)
        assert event.dtstart.serialize().strip().endswith("Z"), event.dtstart.serialize()
        expected = world["start"] + timedelta(hours=0 if message.kind.endswith("invitation")
                                              else 1)
        assert start == expected, message.kind
        assert event.uid.value == world["interview"].uid
        sequences.append((message.kind, int(event.sequence.value)))
    by_kind = {kind: {s for k, s in sequences if k == kind} for kind, _s in sequences}
    assert by_kind["candidate_invitation"] == {0} and by_kind["interviewer_invitation"] == {0}
    assert by_kind["candidate_update"] == {1} and by_kind["interviewer_update"] == {1}
    assert by_kind["candidate_cancellation"] == {2}
    assert [s for _k, s in sequences] == sorted(s for _k, s in sequences)


# ---------------------------------------------------------------- 3. CANCEL: one or all


def test_a_removed_interviewer_is_uninvited_and_the_event_itself_stays(
        ctx, lifecycle_of_one_interview):
    world = lifecycle_of_one_interview
    drop = world["drop"]
    [removed] = [m for m in _messages(ctx, kind="interviewer_cancellation")
                 if m.to_email == drop.email]
    calendar = vobject.readOne(removed.ics)
    assert calendar.method.value == "CANCEL"
    event = calendar.vevent
    assert [a.value.removeprefix("mailto:") for a in event.attendee_list] == [drop.email]
    assert "status" not in event.contents  # STATUS:CANCELLED would cancel it for everyone
    assert int(event.sequence.value) == 1 and event.uid.value == world["interview"].uid
    assert "no longer on the panel" in removed.text_body
    assert "goes ahead without you" in removed.html_body
    assert removed.subject.startswith("No longer on the panel")


def test_cancelling_the_interview_cancels_the_event_for_everyone(
        ctx, lifecycle_of_one_interview):
    world = lifecycle_of_one_interview
    final = [m for m in _messages(ctx) if m.kind.endswith("cancellation")
             and m.to_email != world["drop"].email]
    assert {m.to_email for m in final} == {world["candidate"].email, world["keep"].email}
    for message in final:
        calendar = vobject.readOne(message.ics)
        assert calendar.method.value == "CANCEL"
        event = calendar.vevent
        assert event.status.value == "CANCELLED"
        assert event.uid.value == world["interview"].uid and int(event.sequence.value) == 2
        attendees = {a.value.removeprefix("mailto:") for a in event.attendee_list}
        assert attendees == {world["candidate"].email, world["keep"].email}
    keep_mail = next(m for m in final if m.to_email == world["keep"].email)
    assert "Intervjun med Åsa Öberg är inställd." in keep_mail.text_body


# ---------------------------------------------------------------- 2. charset on the part


def test_the_calendar_part_names_its_charset_and_method_and_decodes_cleanly(
        app, ctx, settings, smtp_server):
    recruiter = UserFactory(role="recruiter")
    candidate = CandidateFactory(name="Åsa Öberg", language="sv")
    interview = make_interview(recruiter, make_application(recruiter, candidate),
                               round_name="Webbintervju – Åäö")
    notify.send_invitation(ctx, settings, interview)
    ctx.commit()
    assert run_once(app).sent == 1
    [mail] = smtp_server.messages
    [part] = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("charset") == "utf-8"
    assert part.get_param("method") == "REQUEST"
    text = _unfolded(part.get_content())
    assert "SUMMARY:Intervju: Webbintervju – Åäö" in text
    assert "Åsa Öberg" in text
    assert vobject.readOne(part.get_content()).vevent.uid.value == interview.uid


# ---------------------------------------------------------------- 4. today or tomorrow


@pytest.mark.parametrize(("now", "start", "zone_name", "lang", "words"), [
    # 09.00 in Stockholm, interview 19.00 the same evening (invited late).
    (datetime(2026, 12, 1, 8, 0, tzinfo=UTC), datetime(2026, 12, 1, 18, 0, tzinfo=UTC),
     "Europe/Stockholm", "sv", ("din intervju i dag", "din intervju är i dag.")),
    # 20.00 in Stockholm, interview 10.00 the next morning.
    (datetime(2026, 11, 30, 19, 0, tzinfo=UTC), datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
     "Europe/Stockholm", "sv", ("din intervju i morgon", "din intervju är i morgon.")),
    # 10.00 in New York, interview 22.00 there: today, though already tomorrow in Sweden.
    (datetime(2026, 12, 1, 15, 0, tzinfo=UTC), datetime(2026, 12, 2, 3, 0, tzinfo=UTC),
     "America/New_York", "en", ("your interview today", "your interview is today.")),
])
def test_the_reminder_says_today_or_tomorrow_in_the_candidates_zone(
        ctx, settings, now, start, zone_name, lang, words):
    recruiter = UserFactory(role="recruiter")
    candidate = CandidateFactory(language=lang, timezone=zone_name)
    with time_machine.travel(now - timedelta(days=3), tick=False):
        interview = make_interview(recruiter, make_application(recruiter, candidate),
                                   starts_at=start)
        notify.send_invitation(ctx, settings, interview)
        ctx.commit()
    with time_machine.travel(now, tick=False):
        assert notify.queue_due_reminders(ctx, settings) == 1
        ctx.commit()
    [reminder] = _messages(ctx, kind="candidate_reminder")
    subject_words, body_words = words
    assert subject_words in reminder.subject.lower()
    assert body_words in reminder.text_body and body_words in reminder.html_body
    other = "tomorrow" if "today" in subject_words else "today"
    other_sv = "i morgon" if "i dag" in subject_words else "i dag"
    for wrong in (other, other_sv):
        assert wrong not in reminder.subject and wrong not in reminder.text_body


# ---------------------------------------------------------------- 5. join link, wrapping


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("href"):
            self.links[found["href"] or ""] = found.get("style") or ""


def _link_styles(html: str) -> dict[str, str]:
    parser = _Links()
    parser.feed(html)
    return parser.links


def test_invitations_carry_the_join_link_the_time_and_the_portal_and_links_wrap(
        ctx, settings):
    recruiter = UserFactory(role="recruiter")
    panel = [UserFactory(role="interviewer", language="en")]
    candidate = CandidateFactory(language="sv", timezone="Europe/Stockholm")
    start = (utcnow() + timedelta(days=3)).astimezone(STOCKHOLM).replace(
        hour=14, minute=0, second=0, microsecond=0)
    interview = make_interview(recruiter, make_application(recruiter, candidate),
                               starts_at=start, interviewers=panel, platform="teams",
                               url=MEETING)
    notify.send_invitation(ctx, settings, interview)
    ctx.flush()
    lifecycle.reschedule(ctx, settings, recruiter, interview,
                         _data(interview, starts_at=start + timedelta(hours=1)))
    ctx.commit()
    for kind, time_text in (("candidate_invitation", "kl. 14.00–14.45 (svensk tid)"),
                            ("candidate_update", "kl. 15.00–15.45 (svensk tid)")):
        [mail] = _messages(ctx, kind=kind)
        assert f"Möteslänk: {MEETING}" in mail.text_body, kind
        assert time_text in mail.text_body and time_text in mail.html_body
        portal = f"{settings.base_url}/c/"
        assert portal in mail.text_body and f"?next=/portal/interviews/{interview.id}" in (
            mail.text_body)
        styles = _link_styles(mail.html_body)
        assert MEETING in styles and any(h.startswith(portal) for h in styles)
    for mail in [*_messages(ctx, kind="interviewer_invitation"),
                 *_messages(ctx, kind="interviewer_update"),
                 *_messages(ctx, kind="candidate_invitation"),
                 *_messages(ctx, kind="candidate_update")]:
        style = _link_styles(mail.html_body)[MEETING].replace(" ", "")
        assert "overflow-wrap:anywhere" in style and "word-break:break-all" in style, mail.kind
        # The content cell breaks any other long word too.
        assert "overflow-wrap:anywhere;word-break:break-word" in mail.html_body


# ---------------------------------------------------------------- 6. Reply-To


def test_reply_to_is_set_on_every_email_when_configured_and_the_footer_says_so(
        app, ctx, settings, smtp_server):
    app.config["PORTAL"] = replace(app.config["PORTAL"],
                                   mail_reply_to="Rekrytering <jobb@example.com>")
    recruiter = UserFactory(role="recruiter")
    candidate = CandidateFactory(language="sv")
    interview = make_interview(recruiter, make_application(recruiter, candidate),
                               interviewers=[UserFactory(role="interviewer")])
    notify.send_invitation(ctx, settings, interview)
    notify.queue_new_link(ctx, settings, candidate)
    ctx.commit()
    to_candidate = _messages(ctx, kind="candidate_invitation")[0]
    assert "Svara på mejlet om du har frågor." in to_candidate.html_body
    assert run_once(app).sent == 3
    assert [m["Reply-To"] for m in smtp_server.messages] == ["Rekrytering <jobb@example.com>"] * 3


def test_without_reply_to_no_header_and_no_promise_of_reading_replies(
        app, ctx, settings, smtp_server):
    assert app.config["PORTAL"].mail_reply_to == ""
    recruiter = UserFactory(role="recruiter")
    candidate = CandidateFactory(language="sv")
    interview = make_interview(recruiter, make_application(recruiter, candidate))
    notify.send_invitation(ctx, settings, interview)
    ctx.commit()
    [message] = _messages(ctx)
    assert "Svara på" not in message.html_body and "Reply to" not in message.html_body
    assert "Svar till den här adressen läses inte." in message.html_body
    assert "Reply-To" not in build_email(app.config["PORTAL"], message)
    assert run_once(app).sent == 1
    assert smtp_server.messages[0]["Reply-To"] is None


PRODUCTION = {"PORTAL_ENV": "production", "SECRET_KEY": "s" * 40,
              "PORTAL_BASE_URL": "https://jobs.example.com",
              "MAIL_FROM": "Rekrytering <no-reply@jobs.example.com>"}


def test_a_production_reply_to_read_at_start_reaches_the_smtp_server(
        app, ctx, smtp_server):
    """MAIL_REPLY_TO as a host sets it, through load_settings, to the header on the wire."""
    sink = app.config["PORTAL"]  # pointed at the loopback SMTP server
    env = {**PRODUCTION, "MAIL_REPLY_TO": "Rekrytering <jobb@example.com>",
           "SMTP_HOST": sink.smtp_host, "SMTP_PORT": str(sink.smtp_port)}
    app.config["PORTAL"] = replace(load_settings(env), upload_dir=sink.upload_dir)
    candidate = CandidateFactory(language="sv")
    notify.queue_new_link(ctx, app.config["PORTAL"], candidate)
    ctx.commit()
    assert run_once(app).sent == 1
    [received] = smtp_server.messages
    assert received["Reply-To"] == "Rekrytering <jobb@example.com>"
    assert received["From"] == "Rekrytering <no-reply@jobs.example.com>"
    assert received["Message-ID"].endswith("@jobs.example.com>")
    assert "https://jobs.example.com/c/" in received.get_body(("plain",)).get_content()


def test_mail_reply_to_is_read_and_checked():
    env = PRODUCTION
    assert load_settings(env).mail_reply_to == ""
    assert load_settings({**env, "MAIL_REPLY_TO": "Jobb <jobb@example.com>"}).mail_reply_to == (
        "Jobb <jobb@example.com>")
    for bad in ("not an address", "a@example.com\r\nBcc: x@example.com"):
        with pytest.raises(SettingsError, match="MAIL_REPLY_TO"):
            load_settings({**env, "MAIL_REPLY_TO": bad})


# ---------------------------------------------------------------- 7 and 8. the pool


@pytest.fixture()
def pool_invitation(app, ctx, settings):
    """A Swedish pool member invited to a new opening through the real service."""
    recruiter = UserFactory(role="recruiter")
    candidate = CandidateFactory(name="Sven Svensson", language="sv")
    membership.give_consent(ctx, settings, candidate, "sv", "Backend")
    opening = make_opening(recruiter, title="Data engineer")
    ctx.flush()
    profile_id = ctx.scalar(select(TalentProfile.id).where(
        TalentProfile.candidate_id == candidate.id))
    with app.test_request_context("/"):
        assert pool_services.invite(ctx, settings, recruiter, [profile_id], opening) == (1, 0)
    ctx.commit()
    [message] = _messages(ctx, kind="pool_invite")
    return candidate, message


def test_pool_emails_give_the_pool_as_the_reason(ctx, settings, pool_invitation):
    candidate, invite_mail = pool_invitation
    assert "eftersom du är med i vår talangpool" in invite_mail.html_body
    assert "rekryteringsprocess" not in invite_mail.html_body
    consent = privacy.current_consent(ctx, candidate.id)
    consent.expires_at = utcnow() + timedelta(days=5)
    ctx.commit()
    assert privacy.remind_expiring(ctx, settings) == 1
    ctx.commit()
    [expiring] = _messages(ctx, kind="pool_expiring")
    assert "eftersom du är med i vår talangpool" in expiring.html_body
    assert "rekryteringsprocess" not in expiring.html_body


def test_pool_invitations_offer_one_click_unsubscribe_that_ends_consent(
        app, ctx, client, settings, smtp_server, pool_invitation):
    candidate, message = pool_invitation
    assert run_once(app).sent == 1
    [mail] = smtp_server.messages
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header = mail["List-Unsubscribe"]
    assert header.startswith("<https://") or header.startswith("<http://")
    url = urlsplit(header.strip("<>"))
    assert url.scheme in ("http", "https") and url.path.endswith("/unsubscribe")
    # Opening the link only asks (a mail scanner changes nothing), in their language.
    page = client.get(url.path)
    assert page.status_code == 200
    assert "Lämna talangpoolen" in page.text
    assert 'name="List-Unsubscribe" value="One-Click"' in page.text
    assert privacy.current_consent(ctx, candidate.id) is not None
    # The mail provider's POST: no session, no CSRF token, the RFC 8058 body.
    fresh = app.test_client()
    done = fresh.post(url.path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert "Du har lämnat vår talangpool" in done.text
    ctx.expire_all()
    assert privacy.current_consent(ctx, candidate.id) is None
    assert ctx.scalar(select(PoolInvite.answer)) == "never"
    assert "consent_withdrawn" in ctx.scalars(select(AuditEvent.action)).all()
    assert ctx.scalar(select(TalentProfile).where(
        TalentProfile.candidate_id == candidate.id)) is None
    # Posting again (providers retry) is fine.
    again = fresh.post(url.path, data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200
    assert "Lämna talangpoolen" not in fresh.get(url.path).text


def test_a_post_without_the_one_click_body_changes_nothing(app, ctx, pool_invitation):
    candidate, message = pool_invitation
    path = urlsplit(message.headers["List-Unsubscribe"].strip("<>")).path
    response = app.test_client().post(path, data={})
    assert response.status_code == 400
    assert privacy.current_consent(ctx, candidate.id) is not None


def test_a_broken_unsubscribe_link_gets_a_friendly_page_never_an_error(
        app, ctx, client, settings, pool_invitation):
    candidate, message = pool_invitation
    path = urlsplit(message.headers["List-Unsubscribe"].strip("<>")).path
    token = path.split("/")[2]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    # A link of another purpose, correctly signed, is no unsubscribe link.
    consent = privacy.current_consent(ctx, candidate.id)
    extend_token = privacy.extend_link(settings, consent).rsplit("/", 1)[1]
    for bad in (tampered, "x" * 20, extend_token, token.split(".")[0]):
        for method in ("get", "post"):
            response = getattr(app.test_client(), method)(
                f"/pool/{bad}/unsubscribe", data={"List-Unsubscribe": "One-Click"},
                headers={"Accept-Language": "en"})
            assert response.status_code == 400, (bad, method)
            assert "This link does not work any more." in response.text
    assert privacy.current_consent(ctx, candidate.id) is not None


def test_the_unsubscribe_header_is_only_on_pool_invitations(ctx, settings, pool_invitation):
    recruiter = UserFactory(role="recruiter")
    interview = make_interview(recruiter)
    notify.send_invitation(ctx, settings, interview)
    ctx.commit()
    for message in _messages(ctx):
        assert bool(message.headers) == (message.kind == "pool_invite"), message.kind
