"""Kits, scorecards and the comparison. Plain functions over a session and the acting
user; they never commit and raise domain errors."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from portal.accounts.models import Role, User
from portal.errors import DomainError, Forbidden, NotFound
from portal.feedback.models import (
    InterviewKit,
    KitCompetency,
    Recommendation,
    Scorecard,
    ScorecardAmendment,
    ScorecardRating,
)
from portal.feedback.starter import LIBRARY
from portal.hiring.models import Application, Candidate, Interview, Opening
from portal.hiring.services import require_manager
from portal.locks import insert_if_missing, lock, refresh_all
from portal.text import require_single_line
from portal.timeutil import utcnow

DISAGREEMENT = 2  # raters this many levels apart are flagged for the debrief
VISIBILITY = ("after_submit", "always", "managers")

# ---------------------------------------------------------------- kits


def create_starter_kit(db: Session, actor: User, opening: Opening,
                       starter: str = "general") -> InterviewKit:
    """A new kit for ``opening`` copied from the starter library in its language."""
    require_manager(actor)
    if starter not in LIBRARY:
        raise DomainError(_l("Choose a starter kit from the list."))
    kits = LIBRARY[starter]
    name, competencies = kits.get(opening.language, kits["en"])
    taken = {k.name for k in db.scalars(select(InterviewKit).where(
        InterviewKit.opening_id == opening.id))}
    unique, n = name, 2
    while unique in taken:
        unique, n = f"{name} {n}", n + 1
    kit = InterviewKit(opening_id=opening.id, name=unique, version=1, scale_max=4)
    for position, (cname, description, weight, anchors, questions) in enumerate(competencies):
        kit.competencies.append(KitCompetency(
            position=position, name=cname, description=description, weight=weight,
            anchors="\n".join(anchors), questions="\n".join(questions)))
    db.add(kit)
    db.flush()
    return kit


def copy_kit(db: Session, actor: User, kit: InterviewKit, opening: Opening) -> InterviewKit:
    """Copy a kit (from this or an earlier opening) as a new kit of ``opening``."""
    require_manager(actor)
    taken = {k.name for k in db.scalars(select(InterviewKit).where(
        InterviewKit.opening_id == opening.id))}
    name = kit.name if kit.name not in taken else f"{kit.name} ({len(taken) + 1})"
    return _clone(db, kit, opening_id=opening.id, name=name, version=1)


def _clone(db: Session, kit: InterviewKit, *, opening_id: int, name: str,
           version: int) -> InterviewKit:
    new = InterviewKit(opening_id=opening_id, name=name, version=version,
                       scale_max=kit.scale_max)
    for c in kit.competencies:
        new.competencies.append(KitCompetency(
            position=c.position, name=c.name, description=c.description, weight=c.weight,
            anchors=c.anchors, questions=c.questions))
    db.add(new)
    db.flush()
    return new


def editable(db: Session, actor: User, kit: InterviewKit) -> InterviewKit:
    """The kit to change: itself while unused, else a new version (the used one stays as
    it was, so every candidate it judged was judged alike)."""
    require_manager(actor)
    if kit.superseded:
        raise DomainError(_l("This is an old version of the kit; edit the newest one."))
    if not kit.in_use:
        return kit
    kit.superseded = True
    return _clone(db, kit, opening_id=kit.opening_id, name=kit.name, version=kit.version + 1)


@dataclass
class CompetencyData:
    name: str
    description: str
    weight: int
    anchors: list[str]
    questions: list[str]


def _check(kit: InterviewKit, data: CompetencyData) -> None:
    if not data.name.strip():
        raise DomainError(_l("Name the competency."), field="name")
    require_single_line(name=data.name)
    if not 1 <= data.weight <= 5:
        raise DomainError(_l("The weight must be between 1 and 5."), field="weight")
    anchors = [a.strip() for a in data.anchors]
    if len(anchors) != kit.scale_max or not all(anchors):
        raise DomainError(_l("Describe every level of the scale, from 1 to %(n)d.",
                             n=kit.scale_max), field="anchors")


def save_competency(db: Session, actor: User, kit: InterviewKit, position: int | None,
                    data: CompetencyData) -> InterviewKit:
    """Add (``position`` None) or change a competency; returns the kit that was changed,
    which is a new version when the old one was in use."""
    _check(kit, data)
    target = editable(db, actor, kit)
    values = {"name": data.name.strip(), "description": data.description.strip(),
              "weight": data.weight, "anchors": "\n".join(a.strip() for a in data.anchors),
              "questions": "\n".join(q.strip() for q in data.questions if q.strip())}
    if position is None:
        target.competencies.append(KitCompetency(position=len(target.competencies), **values))
    else:
        match = next((c for c in target.competencies if c.position == position), None)
        if match is None:
            raise NotFound(_l("No such competency."))
        for key, value in values.items():
            setattr(match, key, value)
    db.flush()
    return target


def remove_competency(db: Session, actor: User, kit: InterviewKit, position: int) -> InterviewKit:
    target = editable(db, actor, kit)
    match = next((c for c in target.competencies if c.position == position), None)
    if match is None:
        raise NotFound(_l("No such competency."))
    if len(target.competencies) == 1:
        raise DomainError(_l("A kit needs at least one competency."))
    target.competencies.remove(match)
    for index, c in enumerate(target.competencies):
        c.position = index
    db.flush()
    return target


def current_kits(db: Session, opening_id: int) -> list[InterviewKit]:
    return list(db.scalars(select(InterviewKit).where(
        InterviewKit.opening_id == opening_id, InterviewKit.superseded.is_(False))
        .order_by(InterviewKit.name)))


# ---------------------------------------------------------------- scorecards


def _is_panel(actor: User, interview: Interview) -> bool:
    return any(u.id == actor.id for u in interview.interviewers)


def my_scorecard(db: Session, actor: User, interview: Interview) -> Scorecard:
    """The actor's scorecard for ``interview``, created on first use. Only interviewers on
    the panel have one; the kit is frozen from then on."""
    if not _is_panel(actor, interview):
        raise NotFound(_l("No such scorecard."))
    if interview.kit_id is None:
        raise DomainError(_l("This interview has no interview kit yet. Ask the recruiter to "
                             "choose one."))
    mine = select(Scorecard).where(Scorecard.interview_id == interview.id,
                                   Scorecard.interviewer_id == actor.id)
    card = db.scalar(mine)
    if card is None:
        # "Create if missing" as an upsert: of two first saves at once (two tabs, an
        # autosave beside a click) one inserts, the other waits and finds that card.
        kit = db.get(InterviewKit, interview.kit_id)
        if insert_if_missing(db, Scorecard, {
                "interview_id": interview.id, "interviewer_id": actor.id, "kit_id": kit.id,
                "recommendation": "", "notes": "", "updated_at": utcnow()},
                ["interview_id", "interviewer_id"]):
            kit.in_use = True
            card = db.scalar(mine)
            for c in kit.competencies:
                card.ratings.append(ScorecardRating(competency_id=c.id, rating=None, notes=""))
            db.flush()
        card = db.scalar(mine)
    return card


def _lock_card(db: Session, card: Scorecard) -> None:
    """The card's row lock, then the card and its ratings read afresh: a save that races
    a submit (or another save) decides on what that one committed."""
    lock(db, card)
    refresh_all(db, select(ScorecardRating).where(ScorecardRating.scorecard_id == card.id))


@dataclass
class ScorecardData:
    ratings: dict[int, int | None]  # competency id -> rating
    notes: dict[int, str]  # competency id -> notes
    recommendation: str
    overall: str
    question_notes: dict[int, list[str]] = field(default_factory=dict)  # competency id -> notes


def _apply(card: Scorecard, kit: InterviewKit, data: ScorecardData) -> None:
    if data.recommendation not in {"", *(r.value for r in Recommendation)}:
        raise DomainError(_l("Choose a recommendation from the list."), field="recommendation")
    for rating in card.ratings:
        value = data.ratings.get(rating.competency_id)
        if value is not None and not 1 <= value <= kit.scale_max:
            raise DomainError(_l("Ratings go from 1 to %(n)d.", n=kit.scale_max))
        rating.rating = value
        rating.notes = data.notes.get(rating.competency_id, "")[:5000]
        rating.question_notes = json.dumps(
            [n[:5000] for n in data.question_notes.get(rating.competency_id, [])][:50])
    card.recommendation = data.recommendation
    card.notes = data.overall[:10000]
    card.updated_at = utcnow()


def save_draft(db: Session, actor: User, card: Scorecard, data: ScorecardData) -> None:
    """Keep what was typed. A submitted scorecard is changed only through ``amend``."""
    if card.interviewer_id != actor.id:
        raise NotFound(_l("No such scorecard."))
    _lock_card(db, card)
    if card.submitted:
        raise DomainError(_l("This scorecard is submitted and locked."))
    _apply(card, db.get(InterviewKit, card.kit_id), data)


def interview_over(interview: Interview) -> bool:
    """Has the interview ended? A scorecard judges what happened in it, so it is
    submitted only afterwards (drafts, e.g. notes taken during it, are fine before)."""
    return interview.ends_at <= utcnow()


def submit(db: Session, actor: User, card: Scorecard, data: ScorecardData) -> None:
    """Save and lock. Only after the interview's end; every competency needs a rating and
    the card a recommendation."""
    if card.interviewer_id != actor.id:
        raise NotFound(_l("No such scorecard."))
    _lock_card(db, card)
    if card.submitted and _snapshot(card) == _snapshot_after(card, data):
        return  # the same submit again (a double click, two requests crossing): done
    if not card.submitted and not interview_over(db.get(Interview, card.interview_id)):
        raise DomainError(_l("You can submit the scorecard once the interview is over. "
                             "Until then, save it as a draft."))
    save_draft(db, actor, card, data)
    if any(r.rating is None for r in card.ratings):
        raise DomainError(_l("Rate every competency before you submit."))
    if not card.recommendation:
        raise DomainError(_l("Choose an overall recommendation before you submit."),
                          field="recommendation")
    card.submitted_at = utcnow()


def _snapshot(card: Scorecard) -> str:
    return json.dumps({"recommendation": card.recommendation, "notes": card.notes,
                       "ratings": {r.competency_id: [r.rating, r.notes, r.question_notes]
                                   for r in card.ratings}})


def _snapshot_after(card: Scorecard, data: ScorecardData) -> str:
    """What ``_snapshot`` would say once ``data`` were saved on ``card`` (as ``_apply``)."""
    return json.dumps({"recommendation": data.recommendation, "notes": data.overall[:10000],
                       "ratings": {r.competency_id: [
                           data.ratings.get(r.competency_id),
                           data.notes.get(r.competency_id, "")[:5000],
                           json.dumps([n[:5000] for n in data.question_notes.get(
                               r.competency_id, [])][:50])] for r in card.ratings}})


def amend(db: Session, actor: User, card: Scorecard, data: ScorecardData, reason: str) -> None:
    """Change a submitted scorecard, leaving an audit trail of before and after."""
    if card.interviewer_id != actor.id and actor.role != Role.ADMIN:
        raise Forbidden(_l("Only the interviewer or an admin can amend a scorecard."))
    _lock_card(db, card)
    if not card.submitted:
        raise DomainError(_l("Drafts are changed directly."))
    if not reason.strip():
        raise DomainError(_l("Say why the submitted scorecard is changed."), field="reason")
    before = _snapshot(card)
    _apply(card, db.get(InterviewKit, card.kit_id), data)
    db.add(ScorecardAmendment(scorecard_id=card.id, user_id=actor.id, reason=reason.strip(),
                              before=before, after=_snapshot(card)))


def can_read(db: Session, actor: User, card: Scorecard, opening: Opening,
             interview: Interview) -> bool:
    """The independence rule, for every route, export and partial."""
    if card.interviewer_id == actor.id:
        return True
    if not card.submitted:
        return False
    if actor.role in (Role.ADMIN, Role.RECRUITER):
        return True
    if not _is_panel(actor, interview) or opening.feedback_visibility == "managers":
        return False
    if opening.feedback_visibility == "always":
        return True
    mine = db.scalar(select(Scorecard.submitted_at).where(
        Scorecard.interview_id == interview.id, Scorecard.interviewer_id == actor.id))
    return mine is not None


def readable_scorecards(db: Session, actor: User, interview: Interview) -> list[Scorecard]:
    cards = db.scalars(select(Scorecard).where(Scorecard.interview_id == interview.id)
                       .order_by(Scorecard.id)).all()
    opening = interview.application.opening
    return [c for c in cards if can_read(db, actor, c, opening, interview)]


# ---------------------------------------------------------------- comparison


@dataclass
class Cell:
    scores: list[tuple[str, int]] = field(default_factory=list)  # (rater name, rating)

    @property
    def mean(self) -> float | None:
        # Plain arithmetic: statistics.mean works in fractions and was most of the cost.
        return round(sum(s for _, s in self.scores) / len(self.scores), 2) if self.scores \
            else None

    @property
    def spread(self) -> int:
        values = [s for _, s in self.scores]
        return max(values) - min(values) if values else 0

    @property
    def disagree(self) -> bool:
        return self.spread >= DISAGREEMENT


@dataclass
class Row:
    candidate: Candidate
    application: Application
    cells: dict[int, Cell]
    recommendations: list[tuple[str, str]]
    weighted: float | None = None

    @property
    def disagree(self) -> bool:
        return any(c.disagree for c in self.cells.values())


def comparison(db: Session, actor: User, kit: InterviewKit) -> list[Row]:
    """Candidates against the kit's competencies, from submitted scorecards only, in a
    fixed number of queries whatever the number of candidates and raters."""
    require_manager(actor)
    competencies = list(kit.competencies)
    rows = db.execute(
        select(Scorecard, User.name, Interview.application_id)
        .join(User, User.id == Scorecard.interviewer_id)
        .join(Interview, Interview.id == Scorecard.interview_id)
        .where(Scorecard.kit_id == kit.id, Scorecard.submitted_at.is_not(None))
        .order_by(Scorecard.id)).all()
    # Joins, not lists of ids: the cost per candidate stays flat as the round grows.
    submitted = (Scorecard.kit_id == kit.id, Scorecard.submitted_at.is_not(None))
    ratings = db.execute(select(ScorecardRating.scorecard_id, ScorecardRating.competency_id,
                                ScorecardRating.rating)
                         .join(Scorecard, Scorecard.id == ScorecardRating.scorecard_id)
                         .where(*submitted)).all()
    in_round = select(Interview.application_id).join(
        Scorecard, Scorecard.interview_id == Interview.id).where(*submitted)
    applications = {a.id: a for a in db.scalars(
        select(Application).options(joinedload(Application.candidate))
        .where(Application.id.in_(in_round)))}
    rater = {card.id: name for card, name, _app in rows}
    app_of = {card.id: app for card, _name, app in rows}
    result: dict[int, Row] = {}
    for card, name, app_id in rows:
        application = applications[app_id]
        row = result.setdefault(app_id, Row(application.candidate, application,
                                            {c.id: Cell() for c in competencies}, []))
        row.recommendations.append((name, card.recommendation))
    for card_id, competency_id, rating in ratings:
        if rating is not None and competency_id in result[app_of[card_id]].cells:
            result[app_of[card_id]].cells[competency_id].scores.append((rater[card_id], rating))
    weights = {c.id: c.weight for c in competencies}
    for row in result.values():
        rated = [(weights[cid], cell.mean) for cid, cell in row.cells.items()
                 if cell.mean is not None]
        total = sum(w for w, _ in rated)
        row.weighted = round(sum(w * m for w, m in rated) / total, 2) if total else None
    return sorted(result.values(), key=lambda r: (r.weighted is None, -(r.weighted or 0),
                                                   r.candidate.name))


# ---------------------------------------------------------------- missing scorecards


def missing_scorecards(db: Session, since_days: int = 30,
                       grace_hours: int = 24) -> list[tuple[Interview, User]]:
    """(interview, interviewer) pairs whose scorecard is not submitted ``grace_hours``
    after the interview ended; two queries whatever the number of interviews."""
    from datetime import timedelta

    from sqlalchemy.orm import selectinload

    from portal.hiring.models import InterviewStatus

    now = utcnow()
    interviews = [i for i in db.scalars(
        select(Interview).where(Interview.kit_id.is_not(None),
                                Interview.status == InterviewStatus.SCHEDULED,
                                Interview.starts_at >= now - timedelta(days=since_days),
                                Interview.starts_at <= now)
        .options(selectinload(Interview.interviewers),
                 selectinload(Interview.application).selectinload(Application.candidate))
        .order_by(Interview.starts_at))
        if i.ends_at + timedelta(hours=grace_hours) <= now]
    if not interviews:
        return []
    submitted = set(db.execute(select(Scorecard.interview_id, Scorecard.interviewer_id).where(
        Scorecard.interview_id.in_([i.id for i in interviews]),
        Scorecard.submitted_at.is_not(None))).all())
    return [(i, u) for i in interviews for u in i.interviewers if (i.id, u.id) not in submitted]


def set_interview_kit(db: Session, interview: Interview, kit_id: int | None) -> None:
    """The kit an interview is scored with: one of its opening's current kits, and fixed
    once a scorecard has been started."""
    if kit_id == interview.kit_id:
        return
    kit = db.get(InterviewKit, kit_id) if kit_id else None
    opening_id = interview.application.opening_id if interview.application else None
    if kit_id and (kit is None or kit.superseded or kit.opening_id != opening_id):
        raise DomainError(_l("Choose a kit of this opening."), field="kit_id")
    if interview.id and db.scalar(select(Scorecard.id).where(
            Scorecard.interview_id == interview.id).limit(1)):
        raise DomainError(_l("Scorecards have been started with the current kit; it can no "
                             "longer be changed."), field="kit_id")
    interview.kit_id = kit_id


@dataclass(frozen=True)
class Owed:
    """A scorecard ``user`` still owes: the interview, when it is due, whether it is late."""

    interview: Interview
    due: datetime
    overdue: bool


def owed_scorecards(db: Session, user: User, since_days: int = 30, grace_hours: int = 24,
                    now: datetime | None = None) -> list[Owed]:
    """The scorecards ``user`` has not submitted for their panels' interviews that have
    ended (in the last ``since_days``): due ``grace_hours`` after the end, the overdue ones
    first (the longest overdue on top), then by due time."""
    from datetime import timedelta

    from sqlalchemy.orm import selectinload

    from portal.hiring.models import InterviewStatus, interview_interviewer

    now = now or utcnow()
    submitted = select(Scorecard.interview_id).where(
        Scorecard.interviewer_id == user.id, Scorecard.submitted_at.is_not(None))
    interviews = [i for i in db.scalars(
        select(Interview)
        .join(interview_interviewer, interview_interviewer.c.interview_id == Interview.id)
        .where(interview_interviewer.c.user_id == user.id, Interview.kit_id.is_not(None),
               Interview.status == InterviewStatus.SCHEDULED,
               Interview.starts_at >= now - timedelta(days=since_days),
               Interview.starts_at <= now, Interview.id.not_in(submitted))
        .options(selectinload(Interview.application).selectinload(Application.candidate),
                 selectinload(Interview.application).selectinload(Application.opening)))
        if i.ends_at <= now]
    owed = [Owed(i, i.ends_at + timedelta(hours=grace_hours),
                 i.ends_at + timedelta(hours=grace_hours) <= now) for i in interviews]
    return sorted(owed, key=lambda o: (not o.overdue, o.due, o.interview.id))
