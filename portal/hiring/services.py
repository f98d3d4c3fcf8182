"""Hiring services: openings and stages, candidates, applications and interviews.

Plain functions over an explicit session and acting user. They never commit and never read
the request; they raise DomainError, NotFound or Forbidden for views to turn into responses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from portal.accounts.models import Role, User
from portal.errors import DomainError, Forbidden, NotFound
from portal.hiring.models import (
    Application,
    Candidate,
    Interview,
    InterviewStatus,
    Opening,
    Response,
    Stage,
    StageKind,
    interview_interviewer,
)
from portal.locks import lock
from portal.text import require_single_line
from portal.timeutil import is_valid_zone, require_sane_date, utcnow

# (internal name, candidate-facing English, candidate-facing Swedish, kind)
DEFAULT_STAGES: tuple[tuple[str, str, str, StageKind], ...] = (
    ("Applied", "Application received", "Ansökan mottagen", StageKind.OPEN),
    ("Screening", "Screening", "Urval", StageKind.OPEN),
    ("Interview", "Interview", "Intervju", StageKind.OPEN),
    ("Final interview", "Final interview", "Slutintervju", StageKind.OPEN),
    ("References", "References", "Referenstagning", StageKind.OPEN),
    ("Offer", "Offer", "Erbjudande", StageKind.OPEN),
    ("Hired", "Hired", "Anställd", StageKind.HIRED),
    ("Not selected", "Not selected", "Inte gått vidare", StageKind.NOT_SELECTED),
    ("Withdrawn", "Withdrawn", "Ansökan tillbakadragen", StageKind.WITHDRAWN),
)


# ---------------------------------------------------------------- permissions


def require_manager(actor: User) -> None:
    """Only admins and recruiters change hiring data."""
    if actor.role not in (Role.ADMIN, Role.RECRUITER):
        raise Forbidden(_l("Only recruiters can do this."))


def visible_application_ids(actor: User):  # type: ignore[no-untyped-def]
    """A select of application ids an interviewer sits on (managers see all)."""
    return (
        select(Interview.application_id)
        .join(interview_interviewer, interview_interviewer.c.interview_id == Interview.id)
        .where(interview_interviewer.c.user_id == actor.id)
    )


def can_see_candidate(db: Session, actor: User, candidate: Candidate) -> bool:
    if actor.can_manage_hiring:
        return True
    return bool(db.scalar(select(exists(visible_application_ids(actor).join(
        Application, Application.id == Interview.application_id).where(
        Application.candidate_id == candidate.id)))))


def get_candidate(db: Session, actor: User, candidate_id: int) -> Candidate:
    candidate = db.get(Candidate, candidate_id)
    if candidate is None or not can_see_candidate(db, actor, candidate):
        raise NotFound(_l("No such candidate."))
    return candidate


def get_application(db: Session, actor: User, application_id: int) -> Application:
    application = db.get(Application, application_id)
    if application is None:
        raise NotFound(_l("No such application."))
    if not actor.can_manage_hiring and application.id not in set(
        db.scalars(visible_application_ids(actor))
    ):
        raise NotFound(_l("No such application."))
    return application


def get_interview(db: Session, actor: User, interview_id: int) -> Interview:
    interview = db.get(Interview, interview_id)
    if interview is None:
        raise NotFound(_l("No such interview."))
    if not actor.can_manage_hiring and actor not in interview.interviewers:
        raise NotFound(_l("No such interview."))
    return interview


def get_opening(db: Session, actor: User, opening_id: int) -> Opening:
    require_manager(actor)
    opening = db.get(Opening, opening_id)
    if opening is None:
        raise NotFound(_l("No such opening."))
    return opening


# ---------------------------------------------------------------- openings


@dataclass
class OpeningData:
    title: str
    team: str
    description: str
    language: str
    response_days: int = 5
    reference_questions: str = ""
    recruiter_id: int | None = None
    published: bool = False
    # The brand candidates see; None: the organisation's default brand.
    brand_id: int | None = None


def _checked_brand(db: Session, brand_id: int | None) -> int | None:
    """A brand that exists, or None for the default."""
    from portal.branding.models import Brand

    if brand_id is not None and db.get(Brand, brand_id) is None:
        raise DomainError(_l("Choose a brand from the list."), field="brand_id")
    return brand_id


def create_opening(db: Session, actor: User, data: OpeningData) -> Opening:
    """A new opening with the default stages."""
    require_manager(actor)
    require_single_line(title=data.title, team=data.team)
    opening = Opening(title=data.title.strip(), team=data.team.strip(),
                      description=data.description.strip(), language=data.language,
                      response_days=data.response_days,
                      reference_questions=data.reference_questions.strip(),
                      recruiter_id=data.recruiter_id, published=data.published,
                      brand_id=_checked_brand(db, data.brand_id))
    for position, (name, en, sv, kind) in enumerate(DEFAULT_STAGES):
        opening.stages.append(Stage(position=position, name=name, public_name_en=en,
                                    public_name_sv=sv, kind=kind.value))
    db.add(opening)
    db.flush()
    return opening


def update_opening(db: Session, actor: User, opening: Opening, data: OpeningData) -> None:
    require_manager(actor)
    require_single_line(title=data.title, team=data.team)
    opening.title = data.title.strip()
    opening.team = data.team.strip()
    opening.description = data.description.strip()
    opening.language = data.language
    opening.response_days = data.response_days
    opening.reference_questions = data.reference_questions.strip()
    opening.recruiter_id = data.recruiter_id
    opening.published = data.published
    opening.brand_id = _checked_brand(db, data.brand_id)


def rename_stage(db: Session, actor: User, stage: Stage, name: str, en: str, sv: str) -> None:
    require_manager(actor)
    if not (name.strip() and en.strip() and sv.strip()):
        raise DomainError(_l("Every stage needs all three names."))
    require_single_line(name=name, public_name_en=en, public_name_sv=sv)
    stage.name, stage.public_name_en, stage.public_name_sv = name.strip(), en.strip(), sv.strip()


# The message templates (``decisions``' kinds) a stage may send on entry. A rejection's
# words are not among them: closing a process writes its own outcome message.
ENTRY_MESSAGE_KINDS = ("next_round", "offer")


def set_entry_message(db: Session, actor: User, stage: Stage, kind: str) -> None:
    """The stage rule: ``kind`` is sent to a candidate entering ``stage``; "" for none."""
    require_manager(actor)
    if kind and kind not in ENTRY_MESSAGE_KINDS:
        raise DomainError(_l("Choose a message from the list."), field="entry_message")
    if kind and stage.is_end:
        raise DomainError(_l("A closing stage sends its outcome message, not a stage "
                             "message."), field="entry_message")
    stage.entry_message = kind


# ---------------------------------------------------------------- candidates


@dataclass
class CandidateData:
    name: str
    email: str
    phone: str
    language: str
    timezone: str
    # The zone the form suggested: keeping it means no person chose one, so the
    # candidate's device may set it on their first visit.
    default_timezone: str = ""


def create_candidate(db: Session, actor: User, data: CandidateData) -> Candidate:
    """A new candidate; the email address must be new."""
    require_manager(actor)
    require_single_line(name=data.name)
    email = data.email.strip().lower()
    if db.scalar(select(Candidate.id).where(Candidate.email == email)):
        raise DomainError(_l("A candidate with this email already exists."), field="email")
    if not is_valid_zone(data.timezone):
        raise DomainError(_l("Choose a time zone from the list."), field="timezone")
    candidate = Candidate(name=data.name.strip(), email=email, phone=data.phone.strip(),
                          language=data.language, timezone=data.timezone,
                          timezone_source="default" if data.timezone == data.default_timezone
                          else "recruiter")
    db.add(candidate)
    db.flush()
    return candidate


def update_candidate(db: Session, actor: User, candidate: Candidate, data: CandidateData) -> None:
    require_manager(actor)
    require_single_line(name=data.name)
    email = data.email.strip().lower()
    if email != candidate.email and db.scalar(
        select(Candidate.id).where(Candidate.email == email)
    ):
        raise DomainError(_l("A candidate with this email already exists."), field="email")
    if not is_valid_zone(data.timezone):
        raise DomainError(_l("Choose a time zone from the list."), field="timezone")
    if data.timezone != candidate.timezone:
        candidate.timezone_source = "recruiter"
    candidate.name, candidate.email, candidate.phone = data.name.strip(), email, data.phone.strip()
    candidate.language, candidate.timezone = data.language, data.timezone


# ---------------------------------------------------------------- interviews


@dataclass
class InterviewData:
    round_name: str
    starts_at: datetime
    duration_minutes: int
    platform: str
    meeting_url: str
    what_to_expect: str
    preparation: str
    interviewer_ids: list[int]
    kit_id: int | None = None
    # The stage this round belongs to (None: the lifecycle picks the one that fits).
    stage_id: int | None = None


def apply_interview_data(db: Session, interview: Interview, data: InterviewData) -> None:
    """Check and copy the editable fields onto ``interview`` (the lifecycle decides what
    the change means for the process and who is told)."""
    require_single_line(round_name=data.round_name)
    if data.starts_at.tzinfo is None:
        raise DomainError(_l("The start time needs a time zone."), field="starts_at")
    require_sane_date(data.starts_at, field="date")
    if not 10 <= data.duration_minutes <= 480:
        raise DomainError(_l("The length must be between 10 and 480 minutes."),
                          field="duration_minutes")
    with db.no_autoflush:  # the interview may not be complete yet
        interviewers = list(db.scalars(select(User).where(User.id.in_(data.interviewer_ids),
                                                          User.active.is_(True))))
    if len(interviewers) != len(set(data.interviewer_ids)):
        raise DomainError(_l("Choose interviewers from the list."), field="interviewer_ids")
    interview.round_name = data.round_name.strip()
    interview.starts_at = data.starts_at
    interview.duration_minutes = data.duration_minutes
    interview.platform = data.platform
    interview.meeting_url = data.meeting_url
    interview.what_to_expect = data.what_to_expect.strip()
    interview.preparation = data.preparation.strip()
    interview.interviewers = interviewers
    interview.updated_at = utcnow()


def record_response(
    db: Session, candidate: Candidate, interview: Interview, answer: str, message: str
) -> None:
    """The candidate confirms or asks to reschedule. Only their own interviews. The
    interview's row is locked and read afresh first: two answers at once (two tabs, a
    double click) or a change by staff at the same moment land one after the other."""
    if interview.application.candidate_id != candidate.id:
        raise NotFound(_l("No such interview."))
    lock(db, interview)
    if interview.is_cancelled:
        raise DomainError(_l("This interview has been cancelled."))
    if interview.application.is_closed:
        raise DomainError(_l("This process has ended, so the interview will not take place."))
    if interview.ends_at < utcnow():
        raise DomainError(_l("This interview has already taken place."))
    if answer not in (Response.CONFIRMED, Response.RESCHEDULE):
        raise DomainError(_l("Choose an answer."))
    message = message.strip()
    if answer == Response.RESCHEDULE and not message:
        raise DomainError(_l("Tell us which times suit you better, so we can find a new one."),
                          field="message")
    if len(message) > 2000:
        raise DomainError(_l("Keep the message under 2,000 characters."), field="message")
    interview.response = answer
    interview.response_message = message if answer == Response.RESCHEDULE else ""
    interview.responded_at = utcnow()
    if answer == Response.CONFIRMED:
        from portal.webhooks.events import for_interview

        for_interview(db, "interview.confirmed", interview)


# ---------------------------------------------------------------- dashboard queries


def upcoming_interviews(db: Session, actor: User, limit: int = 50) -> list[Interview]:
    """Scheduled interviews that have not ended, soonest first (interviewers: their own)."""
    from sqlalchemy.orm import selectinload

    since = utcnow() - timedelta(hours=3)
    query = (
        select(Interview)
        .where(Interview.status == InterviewStatus.SCHEDULED, Interview.starts_at >= since)
        .options(
            selectinload(Interview.application).selectinload(Application.candidate),
            selectinload(Interview.application).selectinload(Application.opening),
            selectinload(Interview.interviewers),
        )
        .order_by(Interview.starts_at)
        .limit(limit)
    )
    if not actor.can_manage_hiring:
        query = query.where(Interview.id.in_(
            select(interview_interviewer.c.interview_id)
            .where(interview_interviewer.c.user_id == actor.id)))
    return list(db.scalars(query))


def count_open_applications(db: Session, opening: Opening) -> int:
    return db.scalar(select(func.count(Application.id)).where(
        Application.opening_id == opening.id, Application.closed_at.is_(None))) or 0


def panel_interviews_between(db: Session, user: User, start: datetime,
                             end: datetime) -> list[Interview]:
    """The scheduled interviews ``user`` sits on that start in [start, end), soonest first,
    with candidate and opening loaded (an interviewer's day)."""
    from sqlalchemy.orm import selectinload

    return list(db.scalars(
        select(Interview)
        .join(interview_interviewer, interview_interviewer.c.interview_id == Interview.id)
        .where(interview_interviewer.c.user_id == user.id,
               Interview.status == InterviewStatus.SCHEDULED,
               Interview.starts_at >= start, Interview.starts_at < end)
        .options(selectinload(Interview.application).selectinload(Application.candidate),
                 selectinload(Interview.application).selectinload(Application.opening),
                 selectinload(Interview.interviewers))
        .order_by(Interview.starts_at, Interview.id)))
