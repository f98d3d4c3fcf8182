"""An opening's report from recorded inputs: stage history rows, interviews, answers and
messages with known timestamps give exact medians and percentiles; the page and its CSV
say the same; only admins and recruiters see it; a bad date is a message, never a 500."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from portal.decisions import services as ds
from portal.decisions.models import ExperienceAnswer, OutcomeMessage
from portal.hiring import services
from portal.hiring.models import Response
from portal.process import report as reports
from portal.process.models import StageChange
from portal.timeutil import utcnow
from tests.conftest import csrf_from
from tests.factories import (
    PASSWORD,
    CandidateFactory,
    UserFactory,
    make_application,
    make_interview,
    move_to,
)

DAY = timedelta(days=1)


def _signed_in(app, email, language="en"):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    page = client.get("/staff/login")
    assert client.post("/staff/login", data={"email": email, "password": PASSWORD,
                                             "csrf_token": csrf_from(page.text)}).status_code == 303
    return client


def _stage(application, name):
    return next(s for s in application.opening.stages if s.name == name)


def _record_history(ctx, application, moments):
    """Give the application's stage changes, oldest first, these recorded times."""
    changes = ctx.scalars(select(StageChange).where(
        StageChange.application_id == application.id).order_by(StageChange.id)).all()
    assert len(changes) == len(moments)
    for change, moment in zip(changes, moments, strict=True):
        change.at = moment
    application.created_at = moments[0]


@pytest.fixture()
def recorded(ctx, settings):
    """Four candidates with a known past. ``base`` is a morning 60 days ago; the period is
    the 31 days from it."""
    base = datetime.combine(utcnow().date() - 60 * DAY, time(9), tzinfo=UTC)
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    first = make_application(recruiter, CandidateFactory(name="Anna A"))
    opening = first.opening
    apps = [first] + [make_application(recruiter, CandidateFactory(name=n), opening=opening)
                      for n in ("Bo B", "Cia C", "Dan D")]
    a, b, c, d = apps
    for application in (a, b, c):
        move_to(recruiter, application, _stage(application, "Screening"))
        move_to(recruiter, application, _stage(application, "Interview"))
    move_to(recruiter, d, _stage(d, "Screening"))
    # Applied: 1, 2 and 4 days; Screening: 2, 4 and 6 days. Dan leaves "Applied" after the
    # period: his stay is not counted.
    _record_history(ctx, a, [base, base + DAY, base + 3 * DAY])
    _record_history(ctx, b, [base + DAY, base + 3 * DAY, base + 7 * DAY])
    _record_history(ctx, c, [base + 2 * DAY, base + 6 * DAY, base + 12 * DAY])
    _record_history(ctx, d, [base - 10 * DAY, base + 35 * DAY])
    # Interviews (in the Interview stage already, so no stage change): Anna's 5 days after
    # applying, Bo's 3 days after. Invited and answered at known times.
    ia, ib = make_interview(recruiter, a), make_interview(recruiter, b)
    ia.starts_at, ib.starts_at = base + 5 * DAY, base + 4 * DAY
    ia.invited_at, ia.responded_at = base + 2 * DAY, base + 2.5 * DAY
    ib.invited_at, ib.responded_at = base + 2 * DAY, base + 3 * DAY
    ia.response, ib.response = Response.CONFIRMED.value, Response.RESCHEDULE.value
    # Anna hears from us two days after her interview (in time), Bo ten days after (late).
    for application, told in ((a, base + 7 * DAY), (b, base + 14 * DAY)):
        subject, body = ds.compose(ctx, application, "next_round", "")
        message = ds.schedule(ctx, recruiter, application, "next_round", subject, body, None,
                              settings)
        message.sent_at = message.created_at = message.send_at = told
    ctx.commit()
    period = reports.Period(base.date(), base.date() + 30 * DAY)
    return {"opening": opening, "period": period, "base": base, "recruiter": recruiter,
            "apps": apps}


def test_recorded_history_gives_exact_medians_and_percentiles(ctx, recorded):
    report = reports.build(ctx, recorded["opening"], recorded["period"])
    by_name = {row.name: row.spread for row in report.stages}
    assert by_name["Applied"] == reports.Spread(3, 2.0, 4.0)
    assert by_name["Screening"] == reports.Spread(3, 4.0, 6.0)
    assert by_name["Interview"] == reports.Spread(0, None, None)
    assert "Hired" not in by_name  # end stages have no stay to measure
    assert report.to_first_interview == reports.Spread(2, 4.0, 5.0)
    assert report.to_first_answer == reports.Spread(2, 2.25, 2.5)
    assert report.invitation_to_answer == reports.Spread(2, 0.75, 1.0)
    assert report.promise == reports.Promise(days=5, kept=1, missed=1, waiting=0)
    assert report.promise.share == 0.5
    assert report.experience == reports.Experience(0, False, None, {})
    # A period that ends before Anna's interview sees no interview and no stays after it.
    early = reports.build(ctx, recorded["opening"], reports.Period(
        recorded["period"].first, recorded["period"].first + DAY))
    assert early.to_first_interview.count == 0
    assert {r.name: r.spread.count for r in early.stages}["Applied"] == 1


def test_the_nearest_rank_percentile_and_the_median_of_an_even_count():
    assert reports.spread([DAY * n for n in range(1, 11)]) == reports.Spread(10, 5.5, 9.0)
    assert reports.spread([DAY * n for n in (3, 1, 2)]) == reports.Spread(3, 2.0, 3.0)
    assert reports.spread([]) == reports.Spread(0, None, None)


def test_experience_answers_are_shown_only_from_three(ctx, recorded):
    opening, period = recorded["opening"], recorded["period"]
    day = datetime.combine(period.first + 3 * DAY, time.min, tzinfo=UTC)
    for rating in (5, 4):
        ctx.add(ExperienceAnswer(opening_id=opening.id, rating=rating, answered_on=day))
    ctx.add(ExperienceAnswer(opening_id=opening.id, rating=1, answered_on=day - 30 * DAY))
    ctx.commit()
    assert reports.build(ctx, opening, period).experience == reports.Experience(
        2, False, None, {})
    ctx.add(ExperienceAnswer(opening_id=opening.id, rating=3, answered_on=day))
    ctx.commit()
    assert reports.build(ctx, opening, period).experience == reports.Experience(
        3, True, 4.0, {1: 0, 2: 0, 3: 1, 4: 1, 5: 1})


def test_the_page_shows_the_table_and_a_chart_hidden_from_screen_readers(app, ctx, recorded):
    period = recorded["period"]
    staff = _signed_in(app, "rec@example.com")
    board = staff.get(f"/staff/openings/{recorded['opening'].id}").text
    assert f"/staff/openings/{recorded['opening'].id}/report" in board
    page = staff.get(f"/staff/openings/{recorded['opening'].id}/report",
                     query_string={"from": period.first.isoformat(),
                                   "to": period.last.isoformat()})
    assert page.status_code == 200
    text = page.text
    applied = text[text.index('<th scope="row">Applied</th>'):]
    assert applied.index("2.0") < applied.index("4.0") < applied.index("</tr>")
    assert '<div class="report-chart" aria-hidden="true">' in text
    assert "<script" not in text.split("</main>")[0].split("<main")[-1]
    assert "50 %" in text and "1 of 2 candidates heard from us in time" in text
    assert "No candidate answered the question about their experience" in text
    assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
    # In Swedish.
    swedish = _signed_in(app, "rec@example.com", "sv")
    sv = swedish.get(f"/staff/openings/{recorded['opening'].id}/report",
                     query_string={"from": period.first.isoformat(),
                                   "to": period.last.isoformat()}).text
    assert "Tid i varje steg" in sv
    applied = sv[sv.index("Ansökt</th>"):]
    assert applied.index("2,0") < applied.index("4,0") < applied.index("</tr>")


def test_the_csv_says_the_same_and_escapes_typed_names(app, ctx, recorded):
    opening, period = recorded["opening"], recorded["period"]
    stage = _stage(recorded["apps"][0], "Screening")
    services.rename_stage(ctx, recorded["recruiter"], stage, "=HYPERLINK(1)", "Screening",
                          "Urval")
    ctx.commit()
    staff = _signed_in(app, "rec@example.com")
    response = staff.get(f"/staff/openings/{opening.id}/report.csv",
                         query_string={"from": period.first.isoformat(),
                                       "to": period.last.isoformat()})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.text, newline="")))
    assert rows[0] == ["opening", "from", "to", "measure", "stage", "count", "median_days",
                       "p90_days", "value"]
    head = [opening.title, period.first.isoformat(), period.last.isoformat()]
    assert [*head, "time_in_stage", "Applied", "3", "2.0", "4.0", ""] in rows
    assert [*head, "time_in_stage", "'=HYPERLINK(1)", "3", "4.0", "6.0", ""] in rows
    assert [*head, "application_to_first_interview", "", "2", "4.0", "5.0", ""] in rows
    assert [*head, "invitation_to_answer", "", "2", "0.8", "1.0", ""] in rows
    assert [*head, "answered_within_target_share", "", "2", "", "", "0.50"] in rows
    assert [*head, "experience_answers", "", "0", "", "", ""] in rows
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


@pytest.mark.parametrize("query, field, words", [
    ({"from": "2026-13-45"}, "from", "Write the date as YYYY-MM-DD"),
    ({"to": "yesterday"}, "to", "Write the date as YYYY-MM-DD"),
    ({"from": "1850-01-01"}, "from", "Choose a date between"),
    ({"from": "2025-03-01", "to": "2025-02-01"}, "to", "The first day comes after the last."),
    ({"from": "2020-01-01", "to": "2025-01-01"}, "to", "Choose at most 731 days."),
    ({"from": "2025-1-1"}, "from", "Write the date as YYYY-MM-DD"),
    ({"from": "99999-01-01"}, "from", "Write the date as YYYY-MM-DD"),
])
def test_bad_dates_give_an_inline_message(app, ctx, recorded, query, field, words):
    staff = _signed_in(app, "rec@example.com")
    url = f"/staff/openings/{recorded['opening'].id}/report"
    page = staff.get(url, query_string=query)
    assert page.status_code == 422
    assert f'id="{field}-error"' in page.text and words in page.text
    assert staff.get(url + ".csv", query_string=query).status_code == 422


def test_only_admins_and_recruiters_see_the_report(app, ctx, recorded):
    opening_id = recorded["opening"].id
    UserFactory(email="int@example.com", role="interviewer")
    UserFactory(email="admin@example.com", role="admin")
    ctx.commit()
    for path in (f"/staff/openings/{opening_id}/report",
                 f"/staff/openings/{opening_id}/report.csv"):
        assert _signed_in(app, "int@example.com").get(path).status_code == 403
        assert _signed_in(app, "admin@example.com").get(path).status_code == 200
        anonymous = app.test_client().get(path)
        assert anonymous.status_code in (302, 303) and "/staff/login" in anonymous.location
    assert _signed_in(app, "rec@example.com").get(
        "/staff/openings/99999/report").status_code == 404
    assert ctx.scalar(select(OutcomeMessage.id)) is not None
