"""Odd input answers 4xx with a message, never 500 (issue 10, item 8): search text that
folds to operators, dates in the year 9999, JSON nested thousands deep or with NaN and NUL,
ids too big for the database, line breaks in ``next``, and format specs in templates."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.decisions import services as ds
from portal.decisions.models import MessageTemplate, OutcomeMessage
from portal.errors import DomainError
from portal.feedback.models import InterviewKit
from portal.hiring.models import Interview
from portal.links.services import issue_link
from portal.pool import search
from portal.pool.consent import give_consent
from portal.pool.models import RetentionHold
from portal.timeutil import utcnow
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview
from tests.feedback.test_views import client_for

HUGE = "99999999999999999999"


@pytest.fixture()
def office(app, ctx, settings):
    """A recruiter signed in, a candidate in a process and in the talent pool."""
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    application = make_application(recruiter, CandidateFactory(name="Sara Svensson"))
    give_consent(ctx, settings, application.candidate, "en", roles="Backend 1")
    ctx.commit()
    client = client_for(app, "rec@example.com")
    return {"recruiter": recruiter, "application": application, "client": client,
            "csrf": csrf_from(client.get("/staff/").text)}


# ---------------------------------------------------------------- search


def test_search_words_are_letters_and_digits_after_normalising():
    assert search.words("⑴ ㈠") == ["1", "一"]
    assert search.words("ﷺ") == ["صلى", "الله", "عليه", "وسلم"]
    assert search.words("a_b (c) & d:* 'e'") == ["a", "b", "c", "d", "e"]


@pytest.mark.parametrize("typed", ["⑴", "㈠", "ﷺ", "⑴ ㈠ ﷺ backend", "(1):* & !x | 'y'",
                                   "\\", "ǆ ﬁ ㍿"])
def test_search_for_characters_that_fold_to_operators_answers(ctx, office, typed):
    """PostgreSQL's to_tsquery read "⑴" folded to "(1)" as syntax and answered 500."""
    assert search.search(ctx, search.Filters(q=typed)) is not None
    page = office["client"].get("/staff/pool/", query_string={"q": typed})
    assert page.status_code == 200


# ---------------------------------------------------------------- dates


def test_the_bounds_of_a_typed_date():
    from portal.timeutil import is_sane_date, latest_date, require_sane_date

    assert is_sane_date(date(2000, 1, 1)) and is_sane_date(utcnow())
    assert is_sane_date(latest_date()) and not is_sane_date(latest_date() + timedelta(days=1))
    assert not is_sane_date(date(1999, 12, 31)) and not is_sane_date(date(9999, 12, 31))
    require_sane_date(None)
    with pytest.raises(DomainError, match="between 2000-01-01 and"):
        require_sane_date(datetime(9999, 12, 31, 23, 59, tzinfo=UTC))


def _interview_form(application, csrf, day):
    return {"csrf_token": csrf, "round_name": "First interview", "date": day, "time": "10:00",
            "timezone": "Europe/Stockholm", "duration_minutes": "45", "platform": "zoom",
            "meeting_url": "https://zoom.us/j/12345678901"}


@pytest.mark.parametrize("day", ["9999-12-31", "1999-12-31", "0001-01-01"])
def test_an_interview_far_in_the_future_or_past_is_refused_inline(ctx, office, day):
    client, application = office["client"], office["application"]
    url = f"/staff/applications/{application.id}/interviews/new"
    answer = client.post(url, data=_interview_form(application, office["csrf"], day))
    assert answer.status_code == 422 and "Choose a date between 2000-01-01 and" in answer.text
    assert ctx.scalar(select(Interview.id)) is None
    assert client.get("/staff/").status_code == 200


def test_the_services_refuse_dates_out_of_range_too(ctx, settings, office):
    """Not only the forms: every service that takes a typed date checks it."""
    from portal.hiring import services
    from portal.pool import retention
    from portal.process import lifecycle

    recruiter, application = office["recruiter"], office["application"]
    far = datetime(9999, 12, 31, 10, tzinfo=UTC)
    with pytest.raises(DomainError, match="between"):
        lifecycle.schedule(ctx, settings, recruiter, application, services.InterviewData(
            round_name="R", starts_at=far, duration_minutes=45, platform="zoom",
            meeting_url="https://zoom.us/j/12345678901", what_to_expect="", preparation="",
            interviewer_ids=[]))
    ctx.rollback()
    with pytest.raises(DomainError, match="between"):
        lifecycle.set_promise(ctx, recruiter, application, date(9999, 12, 31))
    stage = application.opening.stages[1]
    with pytest.raises(DomainError, match="between"):
        lifecycle.move(ctx, settings, recruiter, application, stage, "", date(9999, 12, 31))
    with pytest.raises(DomainError, match="between"):
        retention.place_hold(ctx, recruiter, application.candidate, "A legal dispute", far)
    with pytest.raises(DomainError, match="between"):
        ds.schedule(ctx, recruiter, application, "offer", "Offer", "Hi", far, settings)


def test_next_step_hold_and_send_dates_are_refused_with_a_message(ctx, office):
    client, application, csrf = office["client"], office["application"], office["csrf"]
    moved = client.post(f"/staff/applications/{application.id}/move", data={
        "csrf_token": csrf, "stage_id": application.stage_id, "next_step_by": "9999-12-31",
        "back": "candidate"}, follow_redirects=True)
    assert moved.status_code == 200 and "Choose a date between" in moved.text
    held = client.post(f"/staff/candidates/{application.candidate_id}/hold", data={
        "csrf_token": csrf, "reason": "A legal dispute", "until": "9999-12-31"},
        follow_redirects=True)
    assert held.status_code == 200 and "Choose a date between" in held.text
    sent = client.post(f"/staff/applications/{application.id}/decide?decision=offer", data={
        "csrf_token": csrf, "action": "send", "decision": "offer", "when": "later",
        "send_date": "9999-12-31", "send_time": "10:00"})
    assert sent.status_code == 422 and "Choose a date between" in sent.text
    ctx.expire_all()
    assert application.next_step_by is None or application.next_step_by.year < 9999
    assert ctx.scalar(select(RetentionHold.id)) is None
    assert ctx.scalar(select(OutcomeMessage.id)) is None
    assert client.get("/staff/").status_code == 200


# ---------------------------------------------------------------- tech-check JSON


@pytest.fixture()
def candidate_client(app, ctx, settings):
    recruiter = UserFactory(role="recruiter")
    interview = make_interview(recruiter, make_application(recruiter, CandidateFactory()))
    _l, token = issue_link(ctx, settings, interview.application.candidate)
    ctx.commit()
    client = app.test_client()
    client.get(f"/c/{token}")
    page = client.get("/portal/tech-check/")
    assert page.status_code == 200
    return client, csrf_from(page.text)


def _result(**changes):
    from tests.techcheck.test_scoring import GOOD

    return {**json.loads(json.dumps(GOOD)), **changes}


def _post(client, csrf, body):
    return client.post("/portal/tech-check/results", data=body,
                       headers={"Content-Type": "application/json", "X-CSRFToken": csrf})


@pytest.mark.parametrize("body", [b"[" * 4000, b"{\"a\":" * 2000 + b"1" + b"}" * 2000,
                                  b"[[[[[[[[[[1]]]]]]]]]]"])
def test_deeply_nested_json_is_a_400(candidate_client, body):
    client, csrf = candidate_client
    answer = _post(client, csrf, body)
    assert answer.status_code == 400 and answer.json["error"] == "nested too deeply"


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(candidate_client, number):
    client, csrf = candidate_client
    body = json.dumps(_result()).replace('"fps": 30', f'"fps": {number}')
    assert number in body
    answer = _post(client, csrf, body)
    assert answer.status_code == 400 and "not a number" in answer.json["error"]


def test_a_number_too_large_for_a_float_is_refused(candidate_client):
    client, csrf = candidate_client
    body = json.dumps(_result()).replace('"fps": 30', '"fps": 1e999')
    answer = _post(client, csrf, body)
    assert answer.status_code == 422 and "finite" in answer.json["problems"][0]


def test_nul_in_a_text_is_refused(ctx, candidate_client):
    client, csrf = candidate_client
    result = _result()
    result["browser"] = {**result["browser"], "name": "chr\x00ome"}
    answer = _post(client, csrf, json.dumps(result))
    assert answer.status_code == 422 and "NUL" in answer.json["problems"][0]


def test_an_interview_id_too_big_for_the_database_is_refused(candidate_client):
    client, csrf = candidate_client
    answer = _post(client, csrf, json.dumps(_result(interview_id=10_000_000_000)))
    assert answer.status_code == 422


def test_a_valid_result_still_goes_through(candidate_client):
    client, csrf = candidate_client
    assert _post(client, csrf, json.dumps(_result())).status_code == 201


# ---------------------------------------------------------------- ids


def test_ids_too_big_for_the_database_are_ignored_or_refused(ctx, office, candidate_client):
    client, csrf, application = office["client"], office["csrf"], office["application"]
    opening = application.opening_id
    for path in (f"/staff/audit?candidate={HUGE}", f"/staff/pool/invites?opening={HUGE}",
                 f"/staff/openings/{opening}/compare?kit={HUGE}",
                 f"/staff/openings/{opening}/compare?sort=²", "/staff/pool/?stage=²",
                 f"/staff/candidates/{HUGE}", f"/staff/openings/{opening}?interview={HUGE}"):
        assert client.get(path).status_code < 500, path
    kit = client.post(f"/staff/openings/{opening}/kits",
                      data={"csrf_token": csrf, "copy_from": HUGE})
    assert kit.status_code == 303 and ctx.scalar(select(InterviewKit.id)) is not None
    added = client.post("/staff/candidates/new", data={
        "csrf_token": csrf, "name": "Nils Nyman", "email": "nils@example.com",
        "language": "sv", "timezone": "Europe/Stockholm", "opening_id": HUGE})
    assert added.status_code < 500
    invited = client.post("/staff/pool/invite", data={
        "csrf_token": csrf, "profile": ["²", HUGE, "-1"], "opening_id": HUGE,
        "query": "q=a\r\nX: y&all=1"})
    assert invited.status_code == 303 and "\n" not in invited.headers["Location"]
    candidate, candidate_csrf = candidate_client
    assert candidate.get(f"/portal/tech-check/?interview={HUGE}").status_code == 200


# ---------------------------------------------------------------- next


@pytest.mark.parametrize("target", ["/portal/\r\nSet-Cookie: x=1", "/portal/\nx", "/\r",
                                    "/portal/%0d%0aX: y"])
def test_line_breaks_in_next_never_crash_a_redirect(ctx, settings, client, target):
    recruiter = UserFactory(role="recruiter")
    application = make_application(recruiter, CandidateFactory())
    _l, token = issue_link(ctx, settings, application.candidate)
    ctx.commit()
    opened = client.get(f"/c/{token}", query_string={"next": target})
    assert opened.status_code == 303
    assert "\n" not in opened.headers["Location"] and "\r" not in opened.headers["Location"]
    page = client.get("/portal/")
    switched = client.post("/language", data={"lang": "sv", "next": target,
                                              "csrf_token": csrf_from(page.text)})
    assert switched.status_code == 303
    assert "\n" not in switched.headers["Location"] and "\r" not in switched.headers["Location"]
    for path in ("/portal/timezone", "/portal/guides/zoom"):
        assert client.get(path, query_string={"back": target, "next": target}).status_code == 200


def test_line_breaks_in_a_search_query_never_reach_a_header(ctx, office):
    client, csrf = office["client"], office["csrf"]
    for name in ("Backend", ""):  # saved, and refused for want of a name
        saved = client.post("/staff/pool/saved", data={
            "csrf_token": csrf, "name": name, "query": "q=python\r\nX: y&all=1"})
        assert saved.status_code == 303 and "\n" not in saved.headers["Location"]
        assert "q=python%0D%0AX%3A+y&all=1" in saved.headers["Location"]
    assert client.get("/staff/pool/").status_code == 200


# ---------------------------------------------------------------- message templates


@pytest.mark.parametrize("bad", ["{role:d}", "{name:{personal_line}}", "{role:>99999999}",
                                 "{role!r}", "{role.__class__}", "{role[0]}", "{name!s:>3}"])
def test_template_fields_take_no_format_spec(ctx, office, bad):
    recruiter = office["recruiter"]
    row = ds.template(ctx, "offer", "en")
    with pytest.raises(DomainError) as refused:
        ds.save_template(ctx, recruiter, row, "Offer", f"Hi {{name}}, {bad}")
    assert "{name}, {role} and {personal_line}" in str(refused.value.message)
    ctx.commit()
    client, csrf = office["client"], office["csrf"]
    page = client.post("/staff/templates", data={
        "csrf_token": csrf, "template_id": row.id, "subject": "Offer", "body": f"Hi {bad}"})
    assert page.status_code == 422 and "{name}, {role} and {personal_line}" in page.text


def test_a_stored_template_with_a_spec_never_breaks_the_decide_page(ctx, office):
    """Saved before the check: shown as written, never interpreted."""
    application = office["application"]
    row = ds.template(ctx, "offer", application.candidate.language)
    row.body = "Hi {name}, {role:>99999999} {role:d} {name:{personal_line}} {"
    ctx.commit()
    _subject, body = ds.compose(ctx, application, "offer", ">99999999")
    assert body.startswith("Hi Sara, {role:>99999999} {role:d} {name:") and len(body) < 100
    page = office["client"].get(f"/staff/applications/{application.id}/decide?decision=offer"
                                "&personal_line=%3E99999999")
    assert page.status_code == 200 and len(page.text) < 200_000
    assert "{role:&gt;99999999}" in page.text
    assert ctx.scalar(select(MessageTemplate.id).where(MessageTemplate.id == row.id))


def test_plain_fields_and_doubled_braces_fill_as_before(ctx, office):
    application = office["application"]
    row = ds.template(ctx, "offer", "en")
    ds.save_template(ctx, office["recruiter"], row, "{role} {{x}}", "Hi {name}! {{ok}} "
                     "{personal_line}")
    values = {"name": "Sara", "role": "Dev", "personal_line": "P"}
    assert ds.fill(row.body, values) == row.body.format_map(values) == "Hi Sara! {ok} P"
    assert ds.compose(ctx, application, "offer", "P", "en") == (
        f"{application.opening.title} {{x}}", "Hi Sara! {ok} P")
