"""An opening's report over a period (/staff/openings/<id>/report, and .csv): time in each
stage, time to the first interview and to the candidate's answer, the answer promise kept,
and the candidate-experience answers. Admins and recruiters only."""

from __future__ import annotations

import io
from typing import Any

from flask import Response, render_template, request
from flask_babel import format_decimal
from flask_login import current_user

from portal import csvsafe
from portal.errors import DomainError
from portal.extensions import db
from portal.hiring import services
from portal.hiring.views import bp
from portal.process import report as reports


def _period() -> tuple[reports.Period | None, dict[str, str]]:
    """The period asked for, or None and a message per field."""
    try:
        return reports.parse_period(request.args.get("from"), request.args.get("to")), {}
    except DomainError as exc:
        return None, {exc.field or "to": str(exc.message)}


def _days(value: float | None) -> str:
    """Days with one decimal, for the CSV (a point, whatever the reader's language)."""
    return "" if value is None else f"{value:.1f}"


def _shown(value: float | None) -> str:
    """Days with one decimal in the reader's language ("3,5" in Swedish); "–" for none."""
    return "–" if value is None else format_decimal(round(value, 1), format="0.0")


@bp.get("/openings/<int:opening_id>/report")
def opening_report(opening_id: int) -> Any:
    """The report as a table with a small chart; a bad date is said beside its field."""
    opening = services.get_opening(db.session, current_user, opening_id)
    period, errors = _period()
    report = reports.build(db.session, opening, period) if period else None
    longest = max([r.spread.p90 or 0 for r in report.stages] + [0]) if report else 0
    return render_template(
        "staff/opening_report.html", opening=opening, report=report, errors=errors,
        longest=longest, days=_shown,
        average=format_decimal(report.experience.average, format="0.0#")
        if report and report.experience.average is not None else "",
        values={"from": request.args.get("from", period.first.isoformat() if period else ""),
                "to": request.args.get("to", period.last.isoformat() if period else "")},
    ), (422 if errors else 200)


@bp.get("/openings/<int:opening_id>/report.csv")
def opening_report_csv(opening_id: int) -> Any:
    """The same numbers as the page, one measure per row, through the formula-safe writer."""
    opening = services.get_opening(db.session, current_user, opening_id)
    period, errors = _period()
    if period is None:
        return Response(" ".join(errors.values()), status=422, mimetype="text/plain")
    report = reports.build(db.session, opening, period)
    out = io.StringIO()
    writer = csvsafe.writer(out)  # stage names are typed by people: never a formula
    writer.writerow(["opening", "from", "to", "measure", "stage", "count", "median_days",
                     "p90_days", "value"])
    head = [opening.title, period.first.isoformat(), period.last.isoformat()]
    for row in report.stages:
        writer.writerow([*head, "time_in_stage", row.name, row.spread.count,
                         _days(row.spread.median), _days(row.spread.p90), ""])
    for measure, value in (("application_to_first_interview", report.to_first_interview),
                           ("application_to_first_answer", report.to_first_answer),
                           ("invitation_to_answer", report.invitation_to_answer)):
        writer.writerow([*head, measure, "", value.count, _days(value.median),
                         _days(value.p90), ""])
    promise = report.promise
    share = "" if promise.share is None else f"{promise.share:.2f}"
    writer.writerow([*head, "answered_within_target_share", "",
                     promise.kept + promise.missed, "", "", share])
    writer.writerow([*head, "answered_within_target_kept", "", promise.kept, "", "", ""])
    writer.writerow([*head, "answered_within_target_missed", "", promise.missed, "", "", ""])
    writer.writerow([*head, "answered_within_target_waiting", "", promise.waiting, "", "", ""])
    experience = report.experience
    writer.writerow([*head, "experience_answers", "", experience.count, "", "", ""])
    if experience.shown:
        writer.writerow([*head, "experience_average", "", experience.count, "", "",
                         f"{experience.average:.2f}"])
        for rating, count in sorted(experience.by_rating.items()):
            writer.writerow([*head, f"experience_rating_{rating}", "", count, "", "", ""])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="report-{opening.id}-{period.first}-{period.last}.csv"')
    return response

