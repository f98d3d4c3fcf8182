"""An interviewer's home ("My day" on the dashboard): today's panels in the viewer's own
time zone with what they need at hand, scorecards owed (overdue first), rounds waiting for
candidates to book them, and nothing of panels they do not sit on. Also the staff's own
tech check, which stores nothing."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import func, select

from portal.feedback import services as fb
from portal.scheduling.engine import Period
from portal.scheduling.services import save_schedule
from portal.techcheck import services as techcheck
from portal.techcheck.models import TechCheckResult
from tests.booking.helpers import offer_round
from tests.conftest import csrf_from
from tests.factories import (
    PASSWORD,
    CandidateFactory,
    UserFactory,
    make_application,
    make_interview,
    make_opening,
)
from tests.techcheck.test_scoring import GOOD

SETUP = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
# 23:30 in UTC: already 11 December in Stockholm, still 10 December in New York.
VIEW = datetime(2026, 12, 10, 23, 30, tzinfo=UTC)


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


@pytest.fixture()
def world(ctx):
    """Ivy interviews from New York; Jon from Stockholm (no zone of his own saved)."""
    with time_machine.travel(SETUP, tick=False):
        rec = UserFactory(email="rec@example.com", name="Rita Recruiter", role="recruiter")
        ivy = UserFactory(email="ivy@example.com", name="Ivy Interviewer", role="interviewer")
        jon = UserFactory(email="jon@example.com", name="Jon Panel", role="interviewer")
        ctx.flush()
        save_schedule(ctx, ivy, ivy, "America/New_York", {0: Period(9 * 60, 17 * 60)})
        opening = make_opening(rec, title="Data engineer")
        kit = fb.create_starter_kit(ctx, rec, opening)

        def interview(name: str, starts: datetime, panel: list, with_kit: bool = False):
            application = make_application(rec, CandidateFactory(name=name), opening)
            item = make_interview(rec, application, starts_at=starts, interviewers=panel,
                                  duration_minutes=45, url="https://zoom.us/j/98765432101")
            if with_kit:
                fb.set_interview_kit(ctx, item, kit.id)
            return item

        items = {
            # 18:45 in New York on the 10th; 00:45 on the 11th in Stockholm.
            "alva": interview("Alva Today", _at(10, 23, 45), [ivy, jon], with_kit=True),
            # The 11th everywhere: Stockholm's today, New York's tomorrow.
            "sven": interview("Sven Tomorrow", _at(11, 14), [ivy, jon]),
            # Jon's alone: Ivy must never see it.
            "hedda": interview("Hedda Hidden", _at(10, 20), [jon], with_kit=True),
            # Scorecards Ivy owes: two overdue (the older first), one not yet due.
            "olle": interview("Olle Oldest", _at(5, 10), [ivy], with_kit=True),
            "maja": interview("Maja Middle", _at(8, 10), [ivy], with_kit=True),
            "nils": interview("Nils Newest", _at(10, 18), [ivy], with_kit=True),
        }
        techcheck.record(ctx, items["alva"].application.candidate,
                         {**GOOD, "interview_id": items["alva"].id})
        # A round candidates may book with Ivy, and one without her.
        waiting = make_application(rec, CandidateFactory(name="Wanda Waiting"), opening)
        other = make_application(rec, CandidateFactory(name="Otto Other"), opening)
        offer_round(rec, [waiting], [ivy], first=date(2026, 12, 14), last=date(2026, 12, 18),
                    round_name="Pair programming")
        offer_round(rec, [other], [jon], first=date(2026, 12, 14), last=date(2026, 12, 18),
                    round_name="Jon's round")
        ctx.commit()
    return rec, ivy, jon, items


def _dashboard(client, login, email: str, lang: str = "en") -> str:
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    with time_machine.travel(VIEW, tick=False):
        assert login(email, PASSWORD).status_code == 303
        page = client.get("/staff/")
    assert page.status_code == 200
    return page.text


def _my_day(html: str) -> str:
    match = re.search(r'<section class="card my-day".*?</section>', html, re.S)
    assert match, "no My day on the dashboard"
    return match.group(0)


def test_interviewer_sees_todays_panels_in_her_own_zone(client, login, world):
    _rec, _ivy, _jon, items = world
    html = _dashboard(client, login, "ivy@example.com")
    day = _my_day(html)
    assert "Thursday 10 December 2026" in day  # her today, not Stockholm's
    assert "Alva Today" in day and "18:45" in day
    assert "Sven Tomorrow" not in day
    upcoming = re.search(r'aria-labelledby="up-h">.*?</section>', html, re.S).group(0)
    assert "Sven Tomorrow" in upcoming and "Alva Today" not in upcoming
    alva = items["alva"]
    assert "https://zoom.us/j/98765432101" in day and "Zoom" in day
    assert f"/staff/interviews/{alva.id}/scorecard" in day  # the kit at hand
    assert "Ready" in day  # Alva's tech check
    assert "Before you start: a welcoming remote interview" in day
    assert "/staff/my-tech-check/" in day


def test_stockholm_interviewer_gets_stockholms_today(client, login, world):
    day = _my_day(_dashboard(client, login, "jon@example.com"))
    assert "Friday 11 December 2026" in day
    assert "Alva Today" in day and "Sven Tomorrow" in day
    assert "Hedda Hidden" in day  # his own panel, owed scorecard (ended the 10th)


def test_interviewer_does_not_see_other_panels(client, login, world):
    html = _dashboard(client, login, "ivy@example.com")
    assert "Hedda Hidden" not in html
    assert "Jon&#39;s round" not in html and "Jon's round" not in html
    assert "Wanda Waiting" not in html  # a round to book shows counts, never names
    hedda = world[3]["hedda"]
    with time_machine.travel(VIEW, tick=False):
        assert client.get(f"/staff/interviews/{hedda.id}/scorecard").status_code == 404


def test_scorecards_owed_overdue_first(client, login, world):
    day = _my_day(_dashboard(client, login, "ivy@example.com"))
    owed = re.search(r'<ul class="myday-owed".*?</ul>', day, re.S).group(0)
    order = [name for name in ("Olle Oldest", "Maja Middle", "Nils Newest", "Alva Today")
             if name in owed]
    assert order == ["Olle Oldest", "Maja Middle", "Nils Newest"]
    items = re.findall(r"<li class=\"(overdue)?\">(.*?)</li>", owed, re.S)
    assert [bool(cls) for cls, _ in items] == [True, True, False]
    assert "Overdue" in items[0][1] and "Overdue" not in items[2][1]
    assert "Hand it in by 2026-12-11 13:45" in items[2][1]  # 18:45 UTC + 24 h, in New York time


def test_a_submitted_scorecard_is_no_longer_owed(client, login, world, ctx):
    _rec, ivy, _jon, items = world
    with time_machine.travel(VIEW, tick=False):
        ivy = ctx.merge(ivy)
        owed = fb.owed_scorecards(ctx, ivy)
        assert [o.interview.id for o in owed] == [items[k].id for k in ("olle", "maja", "nils")]
        card = fb.my_scorecard(ctx, ivy, ctx.merge(items["olle"]))
        kit = ctx.get(fb.InterviewKit, card.kit_id)
        ratings = {c.id: 3 for c in kit.competencies}
        fb.submit(ctx, ivy, card, fb.ScorecardData(ratings=ratings, notes={},
                                                   recommendation="yes", overall="Good"))
        ctx.commit()
    day = _my_day(_dashboard(client, login, "ivy@example.com"))
    owed = re.search(r'<ul class="myday-owed".*?</ul>', day, re.S).group(0)
    assert "Olle Oldest" not in owed and "Maja Middle" in owed


def test_booking_rounds_waiting_for_her(client, login, world):
    day = _my_day(_dashboard(client, login, "ivy@example.com"))
    assert "Waiting for candidates to book you" in day
    assert "Pair programming" in day and "1 candidate still to book" in day
    assert "bookable up to and including Friday 18 December 2026" in day


def test_recruiter_without_panels_has_no_my_day(client, login, world):
    html = _dashboard(client, login, "rec@example.com")
    assert 'class="card my-day"' not in html
    assert "Alva Today" in html  # the recruiter's own dashboard is unchanged


def test_my_day_in_swedish(client, login, world):
    day = _my_day(_dashboard(client, login, "ivy@example.com", lang="sv"))
    assert "Min dag" in day and "torsdag 10 december 2026" in day
    assert "kl. 18.45" in day
    assert "Försenat" in day or "Försenad" in day


def test_staff_tech_check_stores_nothing(client, login, world, ctx):
    with time_machine.travel(VIEW, tick=False):
        login("ivy@example.com", PASSWORD)
        page = client.get("/staff/my-tech-check/")
        assert page.status_code == 200
        assert 'data-results="/staff/my-tech-check/results"' in page.text
        assert 'src="/static/js/techcheck.js' in page.text
        before = ctx.scalar(select(func.count(TechCheckResult.id)))
        token = csrf_from(page.text) if 'name="csrf_token"' in page.text else re.search(
            r'name="csrf-token" content="([^"]+)"', page.text).group(1)
        response = client.post("/staff/my-tech-check/results", data=json.dumps(GOOD),
                               content_type="application/json",
                               headers={"X-CSRFToken": token})
        assert response.status_code == 200
        assert "Nothing is saved" in response.text
        assert ctx.scalar(select(func.count(TechCheckResult.id))) == before
        # Not for a candidate's interview, and not half-formed.
        bad = client.post("/staff/my-tech-check/results",
                          data=json.dumps({**GOOD, "schema": 99}),
                          content_type="application/json", headers={"X-CSRFToken": token})
        assert bad.status_code in (400, 422)
