"""Kits are versioned once used; scorecards are independent until submitted; the
comparison flags disagreement and runs a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, select

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.feedback import services as fb
from portal.feedback.models import InterviewKit, ScorecardAmendment
from portal.timeutil import utcnow
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview


@pytest.fixture()
def round_(ctx):
    recruiter = UserFactory(role="recruiter")
    anna, bo, cia = (UserFactory(role="interviewer", name=n) for n in ("Anna", "Bo", "Cia"))
    application = make_application(recruiter, CandidateFactory(name="Kim"))
    kit = fb.create_starter_kit(ctx, recruiter, application.opening)
    interview = make_interview(recruiter, application, interviewers=[anna, bo])
    interview.kit_id = kit.id
    interview.starts_at = utcnow() - timedelta(hours=2)  # held: scorecards can be submitted
    ctx.commit()
    return {"recruiter": recruiter, "anna": anna, "bo": bo, "cia": cia, "kit": kit,
            "interview": interview, "opening": application.opening}


def _data(kit, rating, rec="yes"):
    return fb.ScorecardData(ratings={c.id: rating for c in kit.competencies},
                            notes={c.id: "note" for c in kit.competencies},
                            recommendation=rec, overall="overall")


def test_starter_kit_has_anchors_for_every_level(ctx, round_):
    kit = round_["kit"]
    assert len(kit.competencies) == 4
    assert all(len(c.anchor_list) == kit.scale_max == 4 for c in kit.competencies)
    assert all(c.question_list for c in kit.competencies)


def test_editing_a_used_kit_makes_a_new_version(ctx, round_):
    kit, recruiter = round_["kit"], round_["recruiter"]
    data = fb.CompetencyData("Curiosity", "Asks good questions", 1,
                             ["none", "some", "good", "great"], ["What did you learn lately?"])
    same = fb.save_competency(ctx, recruiter, kit, None, data)
    assert same.id == kit.id and len(kit.competencies) == 5  # unused: changed in place
    fb.my_scorecard(ctx, round_["anna"], round_["interview"])
    newer = fb.save_competency(ctx, recruiter, kit, 0, data)
    assert newer.id != kit.id and newer.version == 2 and kit.superseded
    assert kit.competencies[0].name == "Problem solving"  # the used version is untouched
    assert newer.competencies[0].name == "Curiosity"
    with pytest.raises(DomainError):
        fb.save_competency(ctx, recruiter, kit, 0, data)  # old versions are read-only
    with pytest.raises(DomainError):
        fb.save_competency(ctx, recruiter, newer, None,
                           fb.CompetencyData("X", "", 1, ["only one"], []))
    assert [k.id for k in fb.current_kits(ctx, kit.opening_id)] == [newer.id]


def test_only_the_panel_has_scorecards(ctx, round_):
    with pytest.raises(NotFound):
        fb.my_scorecard(ctx, round_["cia"], round_["interview"])


def test_submit_needs_every_rating_and_locks(ctx, round_):
    kit, anna = round_["kit"], round_["anna"]
    card = fb.my_scorecard(ctx, anna, round_["interview"])
    with pytest.raises(DomainError, match="Rate every competency"):
        fb.submit(ctx, anna, card, _data(kit, None))
    with pytest.raises(DomainError, match="recommendation"):
        fb.submit(ctx, anna, card, _data(kit, 3, rec=""))
    fb.submit(ctx, anna, card, _data(kit, 3))
    assert card.submitted
    with pytest.raises(DomainError, match="locked"):
        fb.save_draft(ctx, anna, card, _data(kit, 1))  # a replayed draft cannot change it
    with pytest.raises(DomainError):
        fb.amend(ctx, anna, card, _data(kit, 2), reason=" ")
    fb.amend(ctx, anna, card, _data(kit, 2), reason="Mixed up two candidates")
    assert {r.rating for r in card.ratings} == {2}
    audit = ctx.scalar(select(ScorecardAmendment))
    assert '"recommendation": "yes"' in audit.before and audit.reason.startswith("Mixed")


def test_a_scorecard_is_submitted_only_after_the_interview_ends(ctx, round_):
    kit, anna, interview = round_["kit"], round_["anna"], round_["interview"]
    interview.starts_at = utcnow() - timedelta(minutes=30)  # 45 minutes long: still running
    card = fb.my_scorecard(ctx, anna, interview)
    fb.save_draft(ctx, anna, card, _data(kit, 3))  # notes during the interview are fine
    with pytest.raises(DomainError, match="once the interview is over"):
        fb.submit(ctx, anna, card, _data(kit, 3))
    assert card.submitted_at is None
    interview.starts_at = utcnow() - timedelta(minutes=46)
    fb.submit(ctx, anna, card, _data(kit, 3))
    assert card.submitted


@pytest.mark.parametrize(("visibility", "before_own", "after_own", "recruiter_sees"), [
    ("after_submit", False, True, True),
    ("always", True, True, True),
    ("managers", False, False, True),
])
def test_visibility_settings(ctx, round_, visibility, before_own, after_own, recruiter_sees):
    kit, anna, bo = round_["kit"], round_["anna"], round_["bo"]
    interview, opening = round_["interview"], round_["opening"]
    opening.feedback_visibility = visibility
    first = fb.my_scorecard(ctx, anna, interview)
    fb.submit(ctx, anna, first, _data(kit, 4))
    second = fb.my_scorecard(ctx, bo, interview)
    assert (first in fb.readable_scorecards(ctx, bo, interview)) == before_own
    fb.submit(ctx, bo, second, _data(kit, 1))
    assert (first in fb.readable_scorecards(ctx, bo, interview)) == after_own
    assert (first in fb.readable_scorecards(ctx, round_["recruiter"], interview)) == recruiter_sees
    assert fb.readable_scorecards(ctx, round_["cia"], interview) == []
    assert fb.my_scorecard(ctx, anna, interview) is first  # one card per interviewer


def _count(fn):
    statements = []
    engine = db.engine
    listener = lambda *a: statements.append(a[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return result, len(statements)


def test_comparison_flags_disagreement_in_bounded_queries(ctx, round_):
    kit, recruiter = round_["kit"], round_["recruiter"]
    anna, bo = round_["anna"], round_["bo"]
    fb.submit(ctx, anna, fb.my_scorecard(ctx, anna, round_["interview"]), _data(kit, 4))
    fb.submit(ctx, bo, fb.my_scorecard(ctx, bo, round_["interview"]), _data(kit, 2, "no"))
    ctx.commit()
    ctx.expire_all()
    kit = ctx.get(InterviewKit, kit.id)
    _ = list(kit.competencies)
    rows, few = _count(lambda: fb.comparison(ctx, recruiter, kit))
    assert len(rows) == 1 and rows[0].disagree and rows[0].weighted == 3.0
    assert sorted(rows[0].recommendations) == [("Anna", "yes"), ("Bo", "no")]
    for n in range(6):
        interview = make_interview(recruiter, make_application(
            recruiter, CandidateFactory(), round_["opening"]), interviewers=[anna, bo],
            starts_at=utcnow() + timedelta(days=3 + n))  # the panel is never in two at once
        interview.kit_id = kit.id
        interview.starts_at = utcnow() - timedelta(hours=2)
        for person in (anna, bo):
            fb.submit(ctx, person, fb.my_scorecard(ctx, person, interview), _data(kit, 1 + n % 4))
    ctx.commit()
    ctx.expire_all()
    kit = ctx.get(InterviewKit, kit.id)
    _ = list(kit.competencies)
    rows, many = _count(lambda: fb.comparison(ctx, recruiter, kit))
    assert len(rows) == 7 and many == few
