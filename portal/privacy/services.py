"""Consent to the talent pool, the candidate's own copy of their data, erasure by
anonymising, and the audit log."""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from portal.errors import DomainError
from portal.hiring.models import Application, Candidate, Interview
from portal.links.models import MagicLink
from portal.links.services import revoke_all
from portal.locks import claim, skip_locked
from portal.messaging.models import OutboxMessage
from portal.privacy.models import AuditEvent, TalentConsent
from portal.settings import Settings
from portal.timeutil import utcnow

CONSENT_TEXT_VERSION = "2026-12-02.1"  # wording of the consent changed


def audit(db: Session, action: str, candidate_id: int | None, actor_kind: str,
          actor_id: int | None = None) -> None:
    """Record an event by ids only: the log never holds person data."""
    db.add(AuditEvent(action=action, candidate_id=candidate_id, actor_kind=actor_kind,
                      actor_id=actor_id))


def current_consent(db: Session, candidate_id: int) -> TalentConsent | None:
    row = db.scalar(select(TalentConsent).where(TalentConsent.candidate_id == candidate_id)
                    .order_by(TalentConsent.id.desc()).limit(1))
    return row if row is not None and row.active else None


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time ``months`` calendar months later, on the month's last day
    when it is shorter (31 January + 1 month = 28 or 29 February): "12 months" of
    consent is a year, not 360 days."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month,
                          day=min(moment.day, calendar.monthrange(year, month)[1]))


def export(db: Session, candidate: Candidate) -> dict[str, Any]:
    """Everything the process and consent records hold on the candidate, for them to take
    (the lifecycle's ``export`` adds the talent pool's part)."""
    from portal.references.models import Referee
    from portal.techcheck.models import TechCheckResult

    applications = db.scalars(select(Application).where(
        Application.candidate_id == candidate.id)).all()
    app_ids = [a.id for a in applications]
    interviews = db.scalars(select(Interview).where(Interview.application_id.in_(app_ids))
                            ).all() if app_ids else []
    iso = lambda value: value.isoformat() if value else None  # noqa: E731
    data = {
        "exported_at": iso(utcnow()),
        "person": {"name": candidate.name, "email": candidate.email, "phone": candidate.phone,
                   "language": candidate.language, "timezone": candidate.timezone,
                   "first_seen_at": iso(candidate.first_seen_at)},
        "applications": [{"opening": a.opening.title,
                          "stage": a.shown_stage.public_name(candidate.language),
                          "applied_at": iso(a.created_at), "closed_at": iso(a.closed_at)}
                         for a in applications],
        "interviews": [{"round": i.round_name, "starts_at": iso(i.starts_at),
                        "platform": i.platform, "your_answer": i.response,
                        "your_message": i.response_message} for i in interviews],
        "emails_to_you": [{"subject": m.subject, "created_at": iso(m.created_at),
                           "status": m.status}
                          for m in db.scalars(select(OutboxMessage).where(
                              OutboxMessage.candidate_id == candidate.id))],
        "tech_checks": [{"at": iso(t.created_at), "verdict": t.verdict,
                         "browser": t.browser, "system": t.system}
                        for t in db.scalars(select(TechCheckResult).where(
                            TechCheckResult.candidate_id == candidate.id))],
        "referees_you_named": [{"name": r.name, "relation": r.relation, "email": r.email,
                                "phone": r.phone} for r in db.scalars(select(Referee).where(
                                    Referee.application_id.in_(app_ids)))] if app_ids else [],
        "talent_pool_consents": [{"given_at": iso(c.given_at), "expires_at": iso(c.expires_at),
                                  "withdrawn_at": iso(c.withdrawn_at), "roles": c.roles,
                                  "text_version": c.text_version, "language": c.language}
                                 for c in db.scalars(select(TalentConsent).where(
                                     TalentConsent.candidate_id == candidate.id))],
    }
    audit(db, "data_exported", candidate.id, "candidate", candidate.id)
    return data


def scrubber(candidate: Candidate) -> Callable[[str], str]:
    """Replaces the candidate's name, its parts and their email in free text."""
    parts = {candidate.name, candidate.email, *(p for p in re.split(r"[\s\-]+", candidate.name)
                                                 if len(p) >= 2)}
    parts.discard("")
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(p) for p in sorted(
        parts, key=len, reverse=True)) + r")(?!\w)", re.IGNORECASE)
    return lambda text: pattern.sub("[…]", text) if text else text


def _scrub_staff_text(db: Session, candidate: Candidate, app_ids: list[int]) -> None:
    """Staff's own notes may name the candidate: scorecards, amendments and anonymous
    experience comments on their openings lose the name (the pool scrubs its own)."""
    from portal.decisions.models import ExperienceAnswer
    from portal.feedback.models import Scorecard, ScorecardAmendment, ScorecardRating

    scrub = scrubber(candidate)
    cards = select(Scorecard.id).join(Interview, Interview.id == Scorecard.interview_id).where(
        Interview.application_id.in_(app_ids)) if app_ids else None
    targets: list[tuple[Any, list[str], Any]] = []
    if cards is not None:
        opening_ids = select(Application.opening_id).where(Application.id.in_(app_ids))
        targets += [(Scorecard, ["notes"], Scorecard.id.in_(cards)),
                    (ScorecardRating, ["notes", "question_notes"],
                     ScorecardRating.scorecard_id.in_(cards)),
                    (ScorecardAmendment, ["reason", "before", "after"],
                     ScorecardAmendment.scorecard_id.in_(cards)),
                    (ExperienceAnswer, ["comment"], ExperienceAnswer.opening_id.in_(opening_ids))]
    scrub_rows(db, scrub, targets)


def scrub_rows(db: Session, scrub: Callable[[str], str],
               targets: list[tuple[Any, list[str], Any]]) -> None:
    """Take a name out of the given columns of the rows that match."""
    for model, columns, where in targets:
        query = select(model) if where is None else select(model).where(where)
        for row in db.scalars(query):
            for column in columns:
                before = getattr(row, column)
                after = scrub(before)
                if after != before:
                    if column == "query":  # a saved search keeps working without the name
                        after = after.replace("[…]", "")
                    setattr(row, column, after)


def erase(db: Session, candidate: Candidate, actor_kind: str = "candidate",
          settings: Settings | None = None, actor_id: int | None = None) -> None:
    """Anonymise the candidate: person data gone, links revoked, messages cancelled, their
    name taken out of staff's notes; counts that identify no one are kept. The talent pool's
    part (profile, CV, holds, saved searches) is ``pool.services.forget``'s; the lifecycle's
    ``erase`` does both."""
    from portal.references.models import Referee, ReferenceRequest
    from portal.techcheck.models import TechCheckResult

    email, cid = candidate.email, candidate.id
    revoke_all(db, candidate)
    app_ids = list(db.scalars(select(Application.id).where(Application.candidate_id == cid)))
    db.execute(delete(OutboxMessage).where(or_(OutboxMessage.candidate_id == cid,
                                               OutboxMessage.to_email == email)))
    if app_ids:
        referee_ids = select(Referee.id).where(Referee.application_id.in_(app_ids))
        db.execute(delete(ReferenceRequest).where(ReferenceRequest.referee_id.in_(referee_ids)))
        db.execute(delete(Referee).where(Referee.application_id.in_(app_ids)))
        db.execute(update(Interview).where(Interview.application_id.in_(app_ids))
                   .values(response_message=""))
        from portal.decisions.models import OutcomeMessage

        db.execute(update(OutcomeMessage).where(OutcomeMessage.application_id.in_(app_ids))
                   .values(subject="", body="", skipped_reason=""))
        # The CVs sent with public applications: the files and their names go.
        from portal.hiring.models import application_cv_path

        for key in db.scalars(select(Application.cv_key).where(
                Application.id.in_(app_ids), Application.cv_key.is_not(None))):
            if settings is not None:
                application_cv_path(settings.upload_dir, key).unlink(missing_ok=True)
        db.execute(update(Application).where(Application.id.in_(app_ids))
                   .values(cv_key=None, cv_name="", cv_size=0, cv_text=""))
    db.execute(update(TechCheckResult).where(TechCheckResult.candidate_id == cid)
               .values(payload="{}", browser="", system=""))
    db.execute(update(TalentConsent).where(TalentConsent.candidate_id == cid,
                                           TalentConsent.withdrawn_at.is_(None))
               .values(withdrawn_at=utcnow()))
    db.execute(update(TalentConsent).where(TalentConsent.candidate_id == cid)
               .values(roles=""))  # their own words; the record of consent stays
    _scrub_staff_text(db, candidate, app_ids)
    candidate.name = "–"
    candidate.email = f"erased-{cid}@invalid"
    candidate.phone = ""
    candidate.first_seen_at = candidate.last_seen_at = None
    db.execute(update(MagicLink).where(MagicLink.candidate_id == cid)
               .values(nonce="erased"))
    audit(db, "erased", cid, actor_kind, cid if actor_kind == "candidate" else actor_id)


def export_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


# ---------------------------------------------------------------- expiry


def _pool_serializer(settings: Settings) -> Any:
    from itsdangerous import URLSafeTimedSerializer

    from portal.links.services import _SALTS, PURPOSE_POOL

    return URLSafeTimedSerializer([*settings.secret_key_fallbacks, settings.secret_key],
                                  salt=_SALTS[PURPOSE_POOL])


def extend_link(settings: Settings, consent: TalentConsent) -> str:
    token = _pool_serializer(settings).dumps({"c": consent.id})
    return f"{settings.base_url}/pool/{token}"


def consent_from_token(db: Session, settings: Settings, token: str) -> TalentConsent:
    """The consent an extend link names, while it is still the candidate's current one."""
    from itsdangerous import BadSignature

    try:
        data = _pool_serializer(settings).loads(token, max_age=60 * 60 * 24 * 60)
    except BadSignature:
        raise DomainError(_l("This link does not work any more.")) from None
    consent = db.get(TalentConsent, data.get("c")) if isinstance(data, dict) else None
    if consent is None or consent.withdrawn_at is not None:
        raise DomainError(_l("This link does not work any more."))
    return consent


def remind_expiring(db: Session, settings: Settings) -> int:
    """30 and 7 days before a consent runs out, one message each with a link to extend."""
    from flask_babel import gettext as _

    from portal.i18n import force_locale
    from portal.messaging.services import enqueue, render_email

    now = utcnow()
    sent = 0
    for days, column in ((7, "reminded_7_at"), (30, "reminded_30_at")):
        # Unclaimed: this reminder not sent (and no 30-day one after the 7-day one). Each
        # due consent is claimed (SKIP LOCKED on PostgreSQL, then a conditional update),
        # so several workers at once send each reminder once.
        unclaimed = [getattr(TalentConsent, column).is_(None)]
        if days == 30:
            unclaimed.append(TalentConsent.reminded_7_at.is_(None))
        due = db.scalars(skip_locked(db, select(TalentConsent).where(
            TalentConsent.withdrawn_at.is_(None), TalentConsent.expires_at > now,
            TalentConsent.expires_at <= now + timedelta(days=days), *unclaimed)
            .order_by(TalentConsent.id))).all()
        for consent in due:
            if not claim(db, TalentConsent, consent.id, *unclaimed, **{column: now}):
                continue  # another worker reminded it a moment ago
            db.expire(consent, ["reminded_7_at", "reminded_30_at"])
            candidate = db.get(Candidate, consent.candidate_id)
            with force_locale(candidate.language):
                subject = _("Stay in our talent pool?")
            text, html = render_email("pool_expiring", candidate.language, candidate=candidate,
                                      consent=consent, link=extend_link(settings, consent),
                                      days=days)
            enqueue(db, kind="pool_expiring", to_email=candidate.email, to_name=candidate.name,
                    subject=subject, text=text, html=html, candidate_id=candidate.id)
            setattr(consent, column, now)
            if days == 7:
                consent.reminded_30_at = consent.reminded_30_at or now
            sent += 1
    return sent
