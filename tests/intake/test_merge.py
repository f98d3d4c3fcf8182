"""Merging two records of one person: everything moves, conflicts are refused, two merges
at once leave one consistent result."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text

from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.hiring import search
from portal.hiring.models import Application, Candidate, StageKind
from portal.intake import merge
from portal.links.models import MagicLink
from portal.links.services import issue_link
from portal.privacy.models import AuditEvent, TalentConsent
from portal.privacy.services import audit
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application, make_opening, move_to
from tests.feedback.test_views import client_for


class _Gone:
    """The id of a record the test removes (the object itself cannot be read after)."""

    def __init__(self, ident: int) -> None:
        self.id = ident


def _indexed(ctx, candidate_id):
    column = ("candidate_id" if ctx.get_bind().dialect.name == "postgresql" else "rowid")
    return ctx.scalar(text(f"SELECT count(*) FROM candidate_search WHERE {column} = :i"),  # noqa: S608
                      {"i": candidate_id})


@pytest.fixture()
def pair(ctx, settings):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    first = CandidateFactory(name="Maja Lind", email="maja@example.com", phone="")
    second = CandidateFactory(name="Maja Lind", email="maja.lind@work.example",
                              phone="+46 70 123 45 67", language="sv")
    one, two = make_opening(recruiter, "Designer"), make_opening(recruiter, "Writer")
    make_application(recruiter, first, one)
    make_application(recruiter, second, two)
    issue_link(ctx, settings, second)
    audit(ctx, "viewed", second.id, "staff", recruiter.id)
    ctx.add(TalentConsent(candidate_id=second.id, text_version="v", language="sv",
                          expires_at=func.now()))
    ctx.commit()
    return recruiter, first, second


def test_the_candidate_page_hints_and_the_merge_moves_everything(client, ctx, pair):
    recruiter, first, second = pair
    first, second = ctx.get(Candidate, first.id), _Gone(second.id)
    staff = client_for(client.application, "rec@example.com")
    page = staff.get(f"/staff/candidates/{first.id}")
    assert "Possible duplicates" in page.text
    assert f"/staff/candidates/{first.id}/merge/{second.id}" in page.text
    side = staff.get(f"/staff/candidates/{first.id}/merge/{second.id}")
    assert side.status_code == 200 and "maja.lind@work.example" in side.text
    done = staff.post(f"/staff/candidates/{first.id}/merge/{second.id}", data={
        "csrf_token": csrf_from(side.text), "keep": str(first.id), "name": str(first.id),
        "email": str(first.id), "phone": str(second.id), "language": str(second.id),
        "timezone": str(first.id)})
    assert done.status_code == 303
    ctx.expire_all()
    kept = ctx.get(Candidate, first.id)
    assert ctx.get(Candidate, second.id) is None
    assert kept.email == "maja@example.com" and kept.phone == "+46 70 123 45 67"
    assert kept.language == "sv"
    assert sorted(a.opening.title for a in kept.applications) == ["Designer", "Writer"]
    assert ctx.scalar(select(func.count(MagicLink.id)).where(
        MagicLink.candidate_id == first.id)) == 1
    assert ctx.scalar(select(func.count(TalentConsent.id)).where(
        TalentConsent.candidate_id == first.id)) == 1
    assert ctx.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.candidate_id == first.id, AuditEvent.action == "viewed")) >= 1
    assert ctx.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.candidate_id == second.id, AuditEvent.action == "merged_away")) == 1
    # The index: the kept record is found by what came with the other; the other is gone.
    assert _indexed(ctx, second.id) == 0 and _indexed(ctx, first.id) == 1
    found = staff.get("/staff/candidates?q=Writer")
    assert f"/staff/candidates/{first.id}" in found.text


def test_both_open_in_the_same_opening_is_refused_until_one_closes(client, ctx, settings, pair):
    recruiter, first, second = pair
    shared = make_opening(recruiter, "Shared")
    make_application(recruiter, first, shared)
    other = make_application(recruiter, second, shared)
    ctx.commit()
    staff = client_for(client.application, "rec@example.com")
    side = staff.get(f"/staff/candidates/{first.id}/merge/{second.id}")
    assert "Close one of them first" in side.text
    data = {"csrf_token": csrf_from(side.text), "keep": str(first.id),
            **{f: str(first.id) for f in merge.FIELDS}}
    refused = staff.post(f"/staff/candidates/{first.id}/merge/{second.id}", data=data)
    assert refused.status_code == 409 and "Close one of them first" in refused.text
    ctx.expire_all()
    assert ctx.get(Candidate, second.id) is not None
    move_to(recruiter, ctx.get(Application, other.id),
            next(s for s in shared.stages if s.kind == StageKind.NOT_SELECTED))
    ctx.commit()
    assert staff.post(f"/staff/candidates/{first.id}/merge/{second.id}",
                      data=data).status_code == 303
    ctx.expire_all()
    kept = ctx.get(Candidate, first.id)
    shared_apps = [a for a in kept.applications if a.opening_id == shared.id]
    assert len(shared_apps) == 1 and not shared_apps[0].is_closed


def test_only_managers_merge(client, ctx, pair):
    _recruiter, first, second = pair
    UserFactory(email="int@example.com", role="interviewer")
    ctx.commit()
    staff = client_for(client.application, "int@example.com")
    assert staff.get(f"/staff/candidates/{first.id}/merge/{second.id}").status_code == 403
    with pytest.raises(DomainError):
        merge.merge(ctx, ctx.get(type(_recruiter), _recruiter.id), first, first, set())


def test_two_merges_at_once_leave_one_record(app, ctx, pair):
    recruiter, first, second = pair
    ids = (first.id, second.id)
    results: list[str] = []
    barrier = threading.Barrier(2)

    def run(keep_id: int, remove_id: int) -> None:
        with app.app_context():
            session = db.session
            actor = session.get(type(recruiter), recruiter.id)
            keep, remove = session.get(Candidate, keep_id), session.get(Candidate, remove_id)
            barrier.wait()
            try:
                merge.merge(session, actor, keep, remove, set())
                session.commit()
                results.append("merged")
            except (NotFound, DomainError):
                session.rollback()
                results.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=ids),
               threading.Thread(target=run, args=ids[::-1])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["merged", "refused"]
    ctx.expire_all()
    left = ctx.scalars(select(Candidate).where(Candidate.id.in_(ids))).all()
    assert len(left) == 1
    assert len(left[0].applications) == 2
    search.sync(ctx)


def test_notes_and_pool_profiles_follow_the_kept_record(ctx, settings, pair):
    from portal.hiring.conversation import StaffNote
    from portal.pool.models import TalentProfile
    from portal.pool.services import ensure_profile

    recruiter, first, second = pair
    ctx.add(StaffNote(candidate_id=second.id, author_id=recruiter.id, body="Ringde i maj"))
    mine, theirs = ensure_profile(ctx, first, "Design"), ensure_profile(ctx, second, "Text")
    mine_id, first_id, second_id = mine.id, first.id, second.id
    del theirs
    ctx.commit()
    merge.merge(ctx, recruiter, first, second, set(), settings)
    ctx.commit()
    ctx.expire_all()
    assert ctx.scalar(select(StaffNote.candidate_id).where(
        StaffNote.body == "Ringde i maj")) == first_id
    profiles = ctx.scalars(select(TalentProfile)).all()
    assert [(p.id, p.candidate_id) for p in profiles] == [(mine_id, first_id)]
    assert ctx.get(Candidate, second_id) is None
