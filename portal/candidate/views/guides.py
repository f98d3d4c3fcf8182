"""Platform guides (/portal/guides/...) and the time zone (/portal/timezone)."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from portal.candidate.forms import TimezoneForm
from portal.candidate.views import (
    bp,
)
from portal.extensions import db
from portal.hiring.models import Candidate
from portal.platforms.registry import PLATFORMS, TROUBLESHOOTING, get_platform
from portal.timeutil import is_valid_zone, utcnow
from portal.web import current_lang, safe_next
from portal.zones import search_attrs, zone_choices


@bp.get("/portal/guides/<platform_key>")
def guide(platform_key: str) -> Any:
    """How to join on a platform, as a guest, from a computer or a phone."""
    platform = get_platform(platform_key)
    if platform is None:
        abort(404)
    return render_template("candidate/guide.html", platform=platform, platforms=PLATFORMS,
                           troubleshooting=TROUBLESHOOTING,
                           back=safe_next(request.args.get("back"), url_for(".overview")))


@bp.get("/portal/timezone")
def timezone_form() -> Any:
    """Choose the zone times are shown in (the browser's is used until the candidate
    chooses)."""
    candidate: Candidate = g.candidate
    return render_template("candidate/timezone.html",
                           zones=zone_choices(utcnow(), current_lang(), candidate.timezone),
                           search=search_attrs(),
                           tz=candidate.timezone,
                           back=safe_next(request.args.get("next"), url_for(".overview")))


@bp.post("/portal/timezone")
def set_timezone() -> Any:
    """Store the candidate's zone: detected by the browser, or chosen by hand. A
    detected zone never overrides one the candidate chose."""
    candidate: Candidate = g.candidate
    form = TimezoneForm()
    form.timezone.choices = []
    zone_name = (form.timezone.data or "").strip()
    back = safe_next(request.form.get("next"), url_for(".overview"))
    if not form.validate_on_submit() or not is_valid_zone(zone_name):
        if request.htmx:
            return Response(status=204)
        return redirect(back, 303)
    if form.source.data == "browser":
        return _device_zone(candidate, zone_name, back)
    candidate.timezone = zone_name
    candidate.timezone_source = "candidate"
    db.session.commit()
    if request.htmx:
        return Response(status=204)
    return redirect(back, 303)


def _device_zone(candidate: Candidate, detected: str, back: str) -> Any:
    """The device reports its zone. It is taken silently only while no person has set one
    (the first visit); otherwise the candidate gets a one-line offer to switch. Either way
    the page is not reloaded under them."""
    if detected == candidate.timezone:
        return Response(status=204)
    adopted = candidate.timezone_source == "default"
    shown = candidate.timezone
    if adopted:
        candidate.timezone = detected
        candidate.timezone_source = "browser"
        db.session.commit()
    return render_template("candidate/_tz_offer.html", adopted=adopted, detected=detected,
                           shown=shown, back=back)
