"""Back office: interview kits, scorecards and the comparison of candidates."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from portal import csvsafe
from portal.accounts.views import guard_staff
from portal.errors import DomainError
from portal.extensions import db
from portal.feedback import services as fb
from portal.feedback.models import InterviewKit, Recommendation
from portal.forms import coerce_id, parse_int
from portal.hiring import services as hiring
from portal.hiring.models import Opening
from portal.web import is_htmx_target

bp = Blueprint("feedback", __name__, url_prefix="/staff")
guard_staff(bp)

RECOMMENDATIONS = [r.value for r in Recommendation]


def _kit_or_404(kit_id: int) -> InterviewKit:
    hiring.require_manager(current_user)
    kit = db.session.get(InterviewKit, kit_id)
    if kit is None:
        abort(404)
    return kit


@bp.get("/openings/<int:opening_id>/kits")
def kits(opening_id: int) -> Any:
    """The opening's interview kits, starter kits, copies, and who may read feedback."""
    opening = hiring.get_opening(db.session, current_user, opening_id)
    others = db.session.scalars(
        select(InterviewKit).join(Opening).where(InterviewKit.opening_id != opening.id,
                                                 InterviewKit.superseded.is_(False))
        .options(contains_eager(InterviewKit.opening))
        .order_by(Opening.title, InterviewKit.name)).all()
    return render_template("staff/kits.html", opening=opening,
                           kits=fb.current_kits(db.session, opening.id), others=others,
                           visibility=fb.VISIBILITY)


@bp.post("/openings/<int:opening_id>/kits")
def create_kit(opening_id: int) -> Any:
    opening = hiring.get_opening(db.session, current_user, opening_id)
    source = request.form.get("copy_from", type=coerce_id)
    if source:
        kit = fb.copy_kit(db.session, current_user, _kit_or_404(source), opening)
    else:
        try:
            kit = fb.create_starter_kit(db.session, current_user, opening,
                                        request.form.get("starter", "general"))
        except DomainError:
            abort(400)
    db.session.commit()
    flash(_("Kit created. Adjust it to the role before the first interview."), "success")
    return redirect(url_for(".kit", kit_id=kit.id), 303)


@bp.post("/openings/<int:opening_id>/visibility")
def visibility(opening_id: int) -> Any:
    opening = hiring.get_opening(db.session, current_user, opening_id)
    value = request.form.get("feedback_visibility", "")
    if value not in fb.VISIBILITY:
        abort(400)
    opening.feedback_visibility = value
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".kits", opening_id=opening.id), 303)


@bp.get("/kits/<int:kit_id>")
def kit(kit_id: int) -> Any:
    item = _kit_or_404(kit_id)
    return render_template("staff/kit.html", kit=item, errors={})


def _competency_data() -> fb.CompetencyData:
    form = request.form
    weight = parse_int(form.get("weight", ""), 0) or 0
    return fb.CompetencyData(
        name=form.get("name", "")[:120], description=form.get("description", "")[:2000],
        weight=weight, anchors=form.getlist("anchor")[:10],
        questions=form.get("questions", "")[:5000].splitlines())


@bp.post("/kits/<int:kit_id>/competencies", defaults={"position": None})
@bp.post("/kits/<int:kit_id>/competencies/<int:position>")
def save_competency(kit_id: int, position: int | None) -> Any:
    """Add or change a competency; a kit already used gets a new version instead."""
    item = _kit_or_404(kit_id)
    try:
        changed = fb.save_competency(db.session, current_user, item, position,
                                     _competency_data())
    except DomainError as exc:
        db.session.rollback()
        item = _kit_or_404(kit_id)
        key = "new" if position is None else str(position)
        return render_template("staff/kit.html", kit=item, errors={key: str(exc.message)},
                               submitted=request.form), 422
    db.session.commit()
    if changed.id != item.id:
        flash(_("The kit was in use, so your change made version %(n)d. Interviews already "
                "held keep the version they used.", n=changed.version), "success")
    return redirect(url_for(".kit", kit_id=changed.id), 303)


@bp.post("/kits/<int:kit_id>/competencies/<int:position>/delete")
def delete_competency(kit_id: int, position: int) -> Any:
    item = _kit_or_404(kit_id)
    try:
        changed = fb.remove_competency(db.session, current_user, item, position)
    except DomainError as exc:
        flash(str(exc.message), "error")
        return redirect(url_for(".kit", kit_id=item.id), 303)
    db.session.commit()
    return redirect(url_for(".kit", kit_id=changed.id), 303)


def _scorecard_data(kit: InterviewKit) -> fb.ScorecardData:
    ratings: dict[int, int | None] = {}
    notes: dict[int, str] = {}
    question_notes: dict[int, list[str]] = {}
    for c in kit.competencies:
        raw = request.form.get(f"rating-{c.id}", "")
        ratings[c.id] = parse_int(raw) if raw.isdigit() else None
        notes[c.id] = request.form.get(f"notes-{c.id}", "")
        question_notes[c.id] = [request.form.get(f"qnotes-{c.id}-{i}", "")
                                for i in range(len(c.question_list))]
    return fb.ScorecardData(ratings=ratings, notes=notes,
                            recommendation=request.form.get("recommendation", ""),
                            overall=request.form.get("overall", ""),
                            question_notes=question_notes)


@bp.route("/interviews/<int:interview_id>/scorecard", methods=["GET", "POST"])
def scorecard(interview_id: int) -> Any:
    """The interviewer's own scorecard: drafts save as they type (htmx), submitting (once
    the interview is over) locks it and shows it read-only, and a change after that is an
    amendment with a reason (``?amend=1`` opens the fields again)."""
    interview = hiring.get_interview(db.session, current_user, interview_id)
    try:
        card = fb.my_scorecard(db.session, current_user, interview)
    except DomainError as exc:
        flash(str(exc.message), "error")
        return redirect(url_for("hiring.candidate",
                                candidate_id=interview.application.candidate_id), 303)
    db.session.commit()
    item = db.session.get(InterviewKit, card.kit_id)
    error = None
    if request.method == "POST":
        action = request.form.get("action", "draft")
        try:
            if action == "submit":
                fb.submit(db.session, current_user, card, _scorecard_data(item))
            elif action == "amend":
                fb.amend(db.session, current_user, card, _scorecard_data(item),
                         request.form.get("reason", ""))
            else:
                fb.save_draft(db.session, current_user, card, _scorecard_data(item))
        except DomainError as exc:
            db.session.rollback()
            error = str(exc.message)
        else:
            db.session.commit()
            if is_htmx_target("save-status"):
                return render_template("staff/_save_status.html", card=card)
            if action != "draft":
                flash(_("Scorecard submitted.") if action == "submit" else _("Amended."),
                      "success")
                return redirect(url_for(".scorecard", interview_id=interview.id), 303)
        if is_htmx_target("save-status"):
            return render_template("staff/_save_status.html", card=card, error=error), 422
    others = [c for c in fb.readable_scorecards(db.session, current_user, interview)
              if c.id != card.id]
    values = request.form if error else None
    # A submitted card is shown read-only; its fields open only to amend it, on request.
    amending = card.submitted and (request.args.get("amend") == "1" or (
        request.method == "POST" and request.form.get("action") == "amend"))
    return render_template("staff/scorecard.html", interview=interview, card=card, kit=item,
                           others=others, error=error, values=values, amending=amending,
                           interview_over=fb.interview_over(interview),
                           recommendations=RECOMMENDATIONS,
                           names={u.id: u.name for u in interview.interviewers},
                           competency_names={c.id: c.name for c in item.competencies}), (
        422 if error else 200)


def _comparison(opening_id: int) -> tuple[Opening, list[InterviewKit], InterviewKit | None,
                                           list[fb.Row]]:
    opening = hiring.get_opening(db.session, current_user, opening_id)
    versions = db.session.scalars(select(InterviewKit).where(
        InterviewKit.opening_id == opening.id).order_by(InterviewKit.name,
                                                         InterviewKit.version)).all()
    chosen = request.args.get("kit", type=coerce_id)
    kit_ = next((k for k in versions if k.id == chosen), None) or next(
        (k for k in versions if k.in_use), versions[0] if versions else None)
    rows = fb.comparison(db.session, current_user, kit_) if kit_ else []
    return opening, list(versions), kit_, rows


@bp.get("/openings/<int:opening_id>/compare")
def compare(opening_id: int) -> Any:
    """Candidates against competencies for one kit version, with who said what and a flag
    where raters are two or more levels apart."""
    from portal.decisions.services import experience_summary
    from portal.references.services import referees_for

    opening, versions, kit_, rows = _comparison(opening_id)
    sort = request.args.get("sort", "")
    column = parse_int(sort) if sort.isdigit() else None
    if column is not None:
        rows.sort(key=lambda r: (r.cells.get(column) is None or r.cells[column].mean is None,
                                 -(r.cells[column].mean or 0) if column in r.cells else 0))
    elif sort == "name":
        rows.sort(key=lambda r: r.candidate.name.lower())
    if request.args.get("flagged") == "1":
        rows = [r for r in rows if r.disagree]
    # Withdrawn consent takes a referee out of the count: "1 of 1 answered", not "of 2".
    references = referees_for(db.session, [r.application.id for r in rows],
                              include_withdrawn=False)
    return render_template("staff/compare.html", opening=opening, versions=versions, kit=kit_,
                           rows=rows, who=request.args.get("who") == "1",
                           references=references,
                           experience=experience_summary(db.session, opening.id))


@bp.get("/openings/<int:opening_id>/compare.csv")
def compare_csv(opening_id: int) -> Response:
    opening, _versions, kit_, rows = _comparison(opening_id)
    out = io.StringIO()
    writer = csvsafe.writer(out)  # names are typed by people: never a formula
    competencies = list(kit_.competencies) if kit_ else []
    writer.writerow(["candidate", "weighted_mean", *[c.name for c in competencies],
                     "disagreement", "recommendations"])
    for row in rows:
        writer.writerow([row.candidate.name, row.weighted,
                         *[row.cells[c.id].mean for c in competencies],
                         "yes" if row.disagree else "",
                         "; ".join(f"{name}: {rec}" for name, rec in row.recommendations)])
    from portal.privacy.services import audit

    for row in rows:
        audit(db.session, "exported", row.candidate.id, "staff", current_user.id)
    db.session.commit()
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="comparison-{opening.id}-{kit_.id if kit_ else 0}.csv"')
    return response


