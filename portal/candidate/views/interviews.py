"""One interview (/portal/interviews/...): the page, the answer, calendar files and the
question afterwards."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from portal.candidate import queries
from portal.candidate.forms import ResponseForm
from portal.candidate.views import (
    _settings,
    bp,
)
from portal.errors import DomainError
from portal.extensions import db
from portal.hiring import services as hiring
from portal.hiring.models import Candidate
from portal.messaging.calendar import interview_ics
from portal.platforms.registry import get_platform
from portal.process import view
from portal.timeutil import utcnow
from portal.web import is_htmx_target


def _interview_or_404(interview_id: int) -> Any:
    interview = queries.interview_for(db.session, g.candidate, interview_id)
    if interview is None:
        abort(404)
    return interview


def _calendar_details(interview: Any) -> str:
    text = _("Join the meeting: %(url)s", url=interview.meeting_url)
    portal = url_for("candidate.interview", interview_id=interview.id, _external=False)
    return f"{text}\n{_settings().base_url}{portal}"


def _ask_experience(item: Any) -> bool:
    if item.ends_at > utcnow():
        return False  # no query before the interview: the page stays at two
    from portal.decisions.services import can_ask_experience

    return can_ask_experience(db.session, item)


def _booking(item: Any) -> dict[str, Any]:
    """Self-scheduling: whether the candidate may move or cancel the interview themselves
    (``process.booking``), and the adjustments they asked for in this process."""
    from portal.booking import adjustments as booking
    from portal.process.booking import self_service

    return {"self_service": self_service(db.session, item),
            "adjustments": booking.adjustment_labels(item.application.adjustment)}


def _date_tile(item: Any, tzname: str) -> tuple[str, str]:
    """The day and the short month of the start, in the candidate's zone, for the little
    calendar leaf of the header card: ('3', 'dec') / ('3', 'Dec')."""
    from flask_babel import format_date

    from portal.timeutil import zone

    local = item.starts_at.astimezone(zone(tzname))
    return format_date(local, "d"), format_date(local, "MMM").rstrip(".")


def _render_interview(item: Any, form: ResponseForm | None, error: str | None = None,
                      status: int = 200) -> Any:
    candidate: Candidate = g.candidate
    return render_template(
        "candidate/interview.html", candidate=candidate, interview=item,
        tile=_date_tile(item, candidate.timezone),
        platform=get_platform(item.platform), tz=candidate.timezone,
        view=view.interview_view(item), now=utcnow(), form=form, error=error,
        join_window=view.JOIN_OPENS, ask_experience=_ask_experience(item), **_booking(item),
    ), status


@bp.get("/portal/interviews/<int:interview_id>")
def interview(interview_id: int) -> Any:
    """Everything about one interview: when (in the candidate's zone), how to join, who
    they meet, what to expect, how to prepare, and their answer."""
    # No form object on a plain view: the page's forms carry the CSRF token themselves.
    return _render_interview(_interview_or_404(interview_id), None)


@bp.post("/portal/interviews/<int:interview_id>/response")
def respond(interview_id: int) -> Any:
    """Confirm attendance or ask to reschedule (htmx swaps #response; works without JS)."""
    candidate: Candidate = g.candidate
    item = _interview_or_404(interview_id)
    form = ResponseForm()
    error = None
    if form.validate_on_submit():
        try:
            hiring.record_response(db.session, candidate, item, form.answer.data or "",
                                   form.message.data or "")
        except DomainError as exc:
            error = str(exc.message)
        else:
            db.session.commit()
    else:
        error = next(iter(form.errors.values()))[0] if form.errors else _("Choose an answer.")
    status = 422 if error else 200
    if is_htmx_target("response"):
        return render_template("candidate/_response.html", interview=item, form=form,
                               error=error, just_answered=error is None, tz=candidate.timezone,
                               **_booking(item)), status
    if error:
        return _render_interview(item, form, error, status)
    return redirect(url_for("candidate.interview", interview_id=item.id) + "#response", 303)


@bp.get("/portal/people/<int:user_id>/photo/<key>.webp")
def staff_photo(user_id: int, key: str) -> Any:
    """The photo of someone on the panel of one of the candidate's interviews; anyone
    else's is not found."""
    from portal.accounts import photos
    from portal.accounts.views import photo_response

    if not queries.meets(db.session, g.candidate, user_id):
        abort(404)
    return photo_response(photos.photo(db.session, user_id, key))


@bp.get("/portal/interviews/<int:interview_id>/calendar.ics")
def calendar(interview_id: int) -> Response:
    """The interview as a calendar file (same UID and SEQUENCE as the emails)."""
    item = _interview_or_404(interview_id)
    body = interview_ics(
        item, method="PUBLISH",
        summary=_("Interview: %(round)s, %(title)s", round=item.round_name,
                  title=item.application.opening.title),
        description=_calendar_details(item), organizer=_settings().mail_from, attendees=[])
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="interview-{item.id}.ics"'
    return response


@bp.post("/portal/interviews/<int:interview_id>/experience")
def experience(interview_id: int) -> Any:
    """One anonymous question after the interview (htmx swaps #experience)."""
    from portal.decisions import services as ds

    item = _interview_or_404(interview_id)
    error = None
    try:
        ds.record_experience(db.session, item, request.form.get("rating", type=int) or 0,
                             request.form.get("comment", ""))
    except DomainError as exc:
        db.session.rollback()
        error = str(exc.message)
    else:
        db.session.commit()
    if is_htmx_target("experience"):
        return render_template("candidate/_experience.html", interview=item, asked=False,
                               thanked=error is None, error=error), (422 if error else 200)
    return redirect(url_for(".interview", interview_id=item.id) + "#experience", 303)


@bp.get("/portal/interviews/<int:interview_id>/calendar/<provider>")
def calendar_link(interview_id: int, provider: str) -> Any:
    """Hand the interview to Google Calendar or Outlook on the web. Built on click, so the
    page stays small and nothing is sent to those sites until the candidate asks."""
    item = _interview_or_404(interview_id)
    builders = {"google": queries.google_calendar_url, "outlook": queries.outlook_calendar_url}
    if provider not in builders:
        abort(404)
    title = _("Interview: %(round)s, %(title)s", round=item.round_name,
              title=item.application.opening.title)
    return redirect(builders[provider](item, title, _calendar_details(item)), 303)
