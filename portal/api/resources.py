"""The API's operations: thin views over the same services and queries the staff pages use.

Every change goes through the services (``hiring``) and the lifecycle (``process``), acting
as the admin who made the key; every read of a candidate's data is in the audit log under
the key's name (``setup``: one entry per request).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.api.idempotency import DOC as IDEMPOTENCY_DOC
from portal.api.idempotency import idempotent
from portal.api.paging import page
from portal.api.schemas import (
    ApplicationIn,
    ApplicationListArgs,
    ApplicationOut,
    BookingRequestOut,
    ByApplicationArgs,
    ByOpeningArgs,
    CandidateIn,
    CandidateOut,
    DecisionOut,
    InterviewIn,
    InterviewOut,
    ListArgs,
    OpeningListArgs,
    OpeningOut,
    PoolArgs,
    PoolResults,
    ScorecardOut,
    StageListArgs,
    StageMoveIn,
    StageOut,
    page_of,
)
from portal.api.setup import as_conflict, audit_candidate, bp, require
from portal.booking.models import BookingRequest
from portal.decisions.models import Decision
from portal.errors import DomainError, NotFound
from portal.extensions import db
from portal.feedback import services as feedback
from portal.feedback.models import Scorecard
from portal.hiring import services as hiring
from portal.hiring.models import Application, Candidate, Interview, Opening, Stage
from portal.pool import search as pool_search
from portal.process import lifecycle


def _user() -> Any:
    from flask import g

    return g.api_key.user


def _get(model: Any, ident: int, what: Any) -> Any:
    row = db.session.get(model, ident)
    if row is None:
        raise NotFound(what)
    return row


def _listed(rows: list[Any], cursor: str | None) -> dict[str, Any]:
    return {"data": rows, "next_cursor": cursor}


# ---------------------------------------------------------------- openings and stages


@bp.route("/openings")
@require("openings:read")
@bp.arguments(OpeningListArgs, location="query")
@bp.response(200, page_of(OpeningOut, "OpeningPage"))
def list_openings(args: dict[str, Any]) -> Any:
    """Openings, oldest change first."""
    query = select(Opening).options(selectinload(Opening.stages))
    if "archived" in args:
        query = query.where(Opening.archived.is_(args["archived"]))
    return _listed(*page(db.session, query, Opening.created_at, Opening.id, args))


@bp.route("/openings/<int:opening_id>")
@require("openings:read")
@bp.response(200, OpeningOut)
def get_opening(opening_id: int) -> Any:
    """One opening with its stages in order."""
    return _get(Opening, opening_id, _l("No such opening."))


@bp.route("/stages")
@require("stages:read")
@bp.arguments(StageListArgs, location="query")
@bp.response(200, page_of(StageOut, "StagePage"))
def list_stages(args: dict[str, Any]) -> Any:
    """Stages of every opening (or one), by id."""
    query = select(Stage)
    if "opening_id" in args:
        query = query.where(Stage.opening_id == args["opening_id"])
    return _listed(*page(db.session, query, None, Stage.id, args))


# ---------------------------------------------------------------- candidates


def _new_candidate(data: dict[str, Any]) -> Candidate:
    """Through the staff pages' service; an address already on file is a conflict (409)."""
    try:
        return hiring.create_candidate(db.session, _user(), hiring.CandidateData(
            name=data["name"], email=data["email"], phone=data["phone"],
            language=data["language"], timezone=data["timezone"],
            default_timezone=current_app.config["PORTAL"].default_timezone))
    except DomainError as exc:
        raise as_conflict(exc) from None


@bp.route("/candidates")
@require("candidates:read")
@bp.arguments(ListArgs, location="query")
@bp.response(200, page_of(CandidateOut, "CandidatePage"))
def list_candidates(args: dict[str, Any]) -> Any:
    """Candidates, oldest first."""
    query = select(Candidate).options(selectinload(Candidate.applications))
    return _listed(*page(db.session, query, Candidate.created_at, Candidate.id, args))


@bp.route("/candidates/<int:candidate_id>")
@require("candidates:read")
@bp.response(200, CandidateOut)
def get_candidate(candidate_id: int) -> Any:
    """One candidate (the read is in the audit log)."""
    candidate = hiring.get_candidate(db.session, _user(), candidate_id)
    audit_candidate(candidate.id)
    return candidate


@bp.route("/candidates", methods=["POST"])
@require("candidates:write")
@bp.doc(**IDEMPOTENCY_DOC)
@idempotent
@bp.arguments(CandidateIn)
@bp.response(201, CandidateOut)
def create_candidate(data: dict[str, Any]) -> Any:
    """A new candidate (the email address must be new)."""
    candidate = _new_candidate(data)
    audit_candidate(candidate.id)
    return candidate, 201, {"Location": url_for("api.get_candidate",
                                                candidate_id=candidate.id)}


# ---------------------------------------------------------------- applications


@bp.route("/applications")
@require("applications:read")
@bp.arguments(ApplicationListArgs, location="query")
@bp.response(200, page_of(ApplicationOut, "ApplicationPage"))
def list_applications(args: dict[str, Any]) -> Any:
    """Applications, oldest change first; by opening or candidate."""
    query = select(Application).options(selectinload(Application.stage))
    if "opening_id" in args:
        query = query.where(Application.opening_id == args["opening_id"])
    if "candidate_id" in args:
        query = query.where(Application.candidate_id == args["candidate_id"])
    return _listed(*page(db.session, query, Application.updated_at, Application.id, args))


@bp.route("/applications/<int:application_id>")
@require("applications:read")
@bp.response(200, ApplicationOut)
def get_application(application_id: int) -> Any:
    application = hiring.get_application(db.session, _user(), application_id)
    audit_candidate(application.candidate_id)
    return application


@bp.route("/applications", methods=["POST"])
@require("applications:write")
@bp.doc(**IDEMPOTENCY_DOC)
@idempotent
@bp.arguments(ApplicationIn)
@bp.response(201, ApplicationOut)
def create_application(data: dict[str, Any]) -> Any:
    """A candidate applies to an opening (an existing candidate by id, or a new one), at
    the opening's first stage, exactly as when a recruiter adds them."""
    user = _user()
    opening = hiring.get_opening(db.session, user, data["opening_id"])
    if "candidate_id" in data:
        candidate = hiring.get_candidate(db.session, user, data["candidate_id"])
    else:
        candidate = _new_candidate(data["candidate"])
    try:
        application = lifecycle.apply(db.session, user, candidate, opening)
    except DomainError as exc:
        raise as_conflict(exc) from None
    audit_candidate(candidate.id)
    return application, 201, {"Location": url_for("api.get_application",
                                                  application_id=application.id)}


@bp.route("/applications/<int:application_id>/stage", methods=["POST"])
@require("applications:write")
@bp.doc(**IDEMPOTENCY_DOC)
@idempotent
@bp.arguments(StageMoveIn)
@bp.response(200, ApplicationOut)
def move_application(data: dict[str, Any], application_id: int) -> Any:
    """Move to any stage of the opening, with every consequence of the move (an end stage
    closes the process, cancels interviews and tells those concerned)."""
    user = _user()
    application = hiring.get_application(db.session, user, application_id)
    stage = _get(Stage, data["stage_id"], _l("No such stage."))
    try:
        lifecycle.move(db.session, current_app.config["PORTAL"], user, application, stage,
                       reason=data["reason"], expected_stage_id=data.get("expected_stage_id"))
    except DomainError as exc:
        raise as_conflict(exc) from None
    audit_candidate(application.candidate_id)
    return application


# ---------------------------------------------------------------- interviews and booking


@bp.route("/interviews")
@require("interviews:read")
@bp.arguments(ByApplicationArgs, location="query")
@bp.response(200, page_of(InterviewOut, "InterviewPage"))
def list_interviews(args: dict[str, Any]) -> Any:
    query = select(Interview).options(selectinload(Interview.interviewers))
    if "application_id" in args:
        query = query.where(Interview.application_id == args["application_id"])
    return _listed(*page(db.session, query, Interview.updated_at, Interview.id, args))


@bp.route("/interviews/<int:interview_id>")
@require("interviews:read")
@bp.response(200, InterviewOut)
def get_interview(interview_id: int) -> Any:
    return hiring.get_interview(db.session, _user(), interview_id)


@bp.route("/interviews", methods=["POST"])
@require("interviews:write")
@bp.doc(**IDEMPOTENCY_DOC)
@idempotent
@bp.arguments(InterviewIn)
@bp.response(201, InterviewOut)
def create_interview(data: dict[str, Any]) -> Any:
    """Schedule an interview round through the lifecycle, as a recruiter does: the
    application moves to the interview stage that fits, the panel's time is held (a clash
    is a 409), and with send_invitation the candidate and panel are invited."""
    from portal.platforms.links import (
        InvalidMeetingLink,
        new_jitsi_room_link,
        validate_meeting_link,
    )

    user = _user()
    settings = current_app.config["PORTAL"]
    application = hiring.get_application(db.session, user, data["application_id"])
    url = (data.get("meeting_url") or "").strip()
    if not url and data["platform"] == "jitsi":
        url = new_jitsi_room_link(settings.jitsi_base_url)
    try:
        url = validate_meeting_link(data["platform"], url,
                                    jitsi_base_url=settings.jitsi_base_url)
    except InvalidMeetingLink as exc:
        raise DomainError(exc.message, field="meeting_url") from None
    interview_data = hiring.InterviewData(
        round_name=data["round_name"], starts_at=data["starts_at"],
        duration_minutes=data["duration_minutes"], platform=data["platform"],
        meeting_url=url, what_to_expect=data["what_to_expect"],
        preparation=data["preparation"], interviewer_ids=data["interviewer_ids"],
        kit_id=data.get("kit_id"), stage_id=data.get("stage_id"))
    try:
        interview = lifecycle.schedule(db.session, settings, user, application,
                                       interview_data, send=data["send_invitation"])
    except DomainError as exc:
        if exc.field in INPUT_FIELDS:
            raise  # what was sent does not hold: 422 with the field
        raise as_conflict(exc) from None  # the process or the panel's time: 409
    audit_candidate(application.candidate_id)
    return interview, 201, {"Location": url_for("api.get_interview",
                                                interview_id=interview.id)}


# Refusals of schedule that are about the request itself (422), not the state (409).
INPUT_FIELDS = {"starts_at", "date", "duration_minutes", "round_name", "interviewer_ids",
                "stage_id", "kit_id", "meeting_url"}


@bp.route("/booking-requests")
@require("booking_requests:read")
@bp.arguments(ByOpeningArgs, location="query")
@bp.response(200, page_of(BookingRequestOut, "BookingRequestPage"))
def list_booking_requests(args: dict[str, Any]) -> Any:
    query = select(BookingRequest).options(selectinload(BookingRequest.offers))
    if "opening_id" in args:
        query = query.where(BookingRequest.opening_id == args["opening_id"])
    return _listed(*page(db.session, query, BookingRequest.created_at, BookingRequest.id,
                         args))


@bp.route("/booking-requests/<int:request_id>")
@require("booking_requests:read")
@bp.response(200, BookingRequestOut)
def get_booking_request(request_id: int) -> Any:
    return _get(BookingRequest, request_id, _l("No such booking request."))


# ---------------------------------------------------------------- decisions, scorecards


@bp.route("/decisions")
@require("decisions:read")
@bp.arguments(ByApplicationArgs, location="query")
@bp.response(200, page_of(DecisionOut, "DecisionPage"))
def list_decisions(args: dict[str, Any]) -> Any:
    query = select(Decision)
    if "application_id" in args:
        query = query.where(Decision.application_id == args["application_id"])
    return _listed(*page(db.session, query, Decision.decided_at, Decision.id, args))


def _scorecard(card: Scorecard) -> dict[str, Any]:
    """A scorecard; its contents only where the independence rule lets the key's admin
    read them, and only once submitted (as on the comparison page)."""
    interview = db.session.get(Interview, card.interview_id)
    readable = card.submitted and feedback.can_read(
        db.session, _user(), card, interview.application.opening, interview)
    content = None
    if readable:
        content = {"recommendation": card.recommendation, "notes": card.notes,
                   "ratings": [{"competency_id": r.competency_id, "rating": r.rating,
                                "notes": r.notes} for r in card.ratings]}
    return {"id": card.id, "interview_id": card.interview_id,
            "interviewer_id": card.interviewer_id, "kit_id": card.kit_id,
            "submitted": card.submitted, "submitted_at": card.submitted_at,
            "updated_at": card.updated_at, "content": content}


@bp.route("/scorecards")
@require("scorecards:read")
@bp.arguments(ListArgs, location="query")
@bp.response(200, page_of(ScorecardOut, "ScorecardPage"))
def list_scorecards(args: dict[str, Any]) -> Any:
    """Scorecards; a draft shows that it exists, never what it says."""
    rows, cursor = page(db.session, select(Scorecard).options(
        selectinload(Scorecard.ratings)), Scorecard.updated_at, Scorecard.id, args)
    return _listed([_scorecard(c) for c in rows], cursor)


@bp.route("/scorecards/<int:scorecard_id>")
@require("scorecards:read")
@bp.response(200, ScorecardOut)
def get_scorecard(scorecard_id: int) -> Any:
    return _scorecard(_get(Scorecard, scorecard_id, _l("No such scorecard.")))


# ---------------------------------------------------------------- talent pool


@bp.route("/pool/profiles")
@require("pool:read")
@bp.arguments(PoolArgs, location="query")
@bp.response(200, PoolResults)
def search_pool(args: dict[str, Any]) -> Any:
    """Search the talent pool: only people whose consent to stay in it is valid, ranked
    as on the staff pool page."""
    filters = pool_search.Filters(q=args["q"], skill=args["skill"],
                                  location=args["location"], language=args["language"],
                                  consent_valid=True)
    hits = pool_search.search(db.session, filters, limit=args["limit"])
    return {"data": [h.profile for h in hits]}
