"""Consent to the talent pool, the candidate's own copy of their data, erasure by
anonymising, and the audit log."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from portal.errors import DomainError
from portal.hiring.models import Application, Candidate, Interview
from portal.links.models import MagicLink
from portal.links.services import revoke_all
from portal.messaging.models import MessageStatus, OutboxMessage
from portal.privacy.models import AuditEvent, TalentConsent
from portal.settings import Settings
from portal.timeutil import utcnow

CONSENT_TEXT_VERSION = "2026-11-25.1"


def audit(db: Session, action: str, candidate_id: int | None, actor_kind: str,
          actor_id: int | None = None) -> None:
    """Record an event by ids only: the log never holds person data."""
    db.add(AuditEvent(action=action, candidate_id=candidate_id, actor_kind=actor_kind,
                      actor_id=actor_id))


def current_consent(db: Session, candidate_id: int) -> TalentConsent | None:
    row = db.scalar(select(TalentConsent).where(TalentConsent.candidate_id == candidate_id)
                    .order_by(TalentConsent.id.desc()).limit(1))
    return row if row is not None and row.active else None


def give_consent(db: Session, settings: Settings, candidate: Candidate, language: str,
                 roles: str) -> TalentConsent:
    """Join the pool, or extend: a new record with this text version, language and time."""
    previous = current_consent(db, candidate.id)
    if previous is not None:
        previous.withdrawn_at = utcnow()  # superseded by the new consent
    now = utcnow()
    consent = TalentConsent(candidate_id=candidate.id, text_version=CONSENT_TEXT_VERSION,
                            language=language, roles=roles.strip()[:500], given_at=now,
                            expires_at=now + timedelta(days=30 * settings.talent_pool_months))
    db.add(consent)
    audit(db, "consent_extended" if previous else "consent_given", candidate.id, "candidate",
          candidate.id)
    from portal.pool.services import ensure_profile

    ensure_profile(db, candidate, roles)
    return consent


def withdraw_consent(db: Session, candidate: Candidate) -> None:
    """Leave the pool at once; queued pool messages to them are cancelled."""
    consent = current_consent(db, candidate.id)
    if consent is None:
        raise DomainError(_l("You are not in the talent pool."))
    consent.withdrawn_at = utcnow()
    db.execute(update(OutboxMessage).where(
        OutboxMessage.candidate_id == candidate.id,
        OutboxMessage.status == MessageStatus.PENDING,
        OutboxMessage.kind.like("pool_%")).values(status=MessageStatus.FAILED.value,
                                                  last_error="consent withdrawn"))
    audit(db, "consent_withdrawn", candidate.id, "candidate", candidate.id)
    from flask import current_app

    from portal.pool.services import delete_profile

    delete_profile(db, current_app.config["PORTAL"], candidate.id)


def export(db: Session, candidate: Candidate) -> dict[str, Any]:
    """Everything we hold on the candidate, for them to take."""
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
    from portal.pool.models import PoolInvite, TalentProfile

    profile = db.scalar(select(TalentProfile).where(TalentProfile.candidate_id == candidate.id))
    data["talent_pool_profile"] = None if profile is None else {
        "summary": profile.summary, "skills": profile.skills, "location": profile.location,
        "remote": profile.remote, "languages": profile.languages, "roles": profile.roles,
        "cv_file": profile.cv_name or None, "cv_text": profile.cv_text,
        "tags_from_recruiters": profile.tags, "notes_from_recruiters": profile.notes,
        "stage_reached": profile.stage_name, "best_score": profile.best_score}
    data["invitations"] = [{"opening": i.opening.title, "invited_at": iso(i.created_at),
                            "answer": i.answer or None, "answered_at": iso(i.answered_at)}
                           for i in db.scalars(select(PoolInvite).where(
                               PoolInvite.candidate_id == candidate.id))]
    audit(db, "data_exported", candidate.id, "candidate", candidate.id)
    return data


def _scrubber(candidate: Candidate) -> Callable[[str], str]:
    """Replaces the candidate's name, its parts and their email in free text."""
    parts = {candidate.name, candidate.email, *(p for p in re.split(r"[\s\-]+", candidate.name)
                                                 if len(p) >= 2)}
    parts.discard("")
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(p) for p in sorted(
        parts, key=len, reverse=True)) + r")(?!\w)", re.IGNORECASE)
    return lambda text: pattern.sub("[…]", text) if text else text


def _scrub_staff_text(db: Session, candidate: Candidate, app_ids: list[int]) -> None:
    """Staff's own notes may name the candidate: scorecards, amendments, holds, saved
    searches and anonymous experience comments on their openings lose the name."""
    from portal.decisions.models import ExperienceAnswer
    from portal.feedback.models import Scorecard, ScorecardAmendment, ScorecardRating
    from portal.pool.models import RetentionHold, SavedSearch

    scrub = _scrubber(candidate)
    cards = select(Scorecard.id).join(Interview, Interview.id == Scorecard.interview_id).where(
        Interview.application_id.in_(app_ids)) if app_ids else None
    targets: list[tuple[Any, list[str], Any]] = [
        (RetentionHold, ["reason"], RetentionHold.candidate_id == candidate.id),
        (SavedSearch, ["name", "query"], None),
    ]
    if cards is not None:
        opening_ids = select(Application.opening_id).where(Application.id.in_(app_ids))
        targets += [(Scorecard, ["notes"], Scorecard.id.in_(cards)),
                    (ScorecardRating, ["notes", "question_notes"],
                     ScorecardRating.scorecard_id.in_(cards)),
                    (ScorecardAmendment, ["reason", "before", "after"],
                     ScorecardAmendment.scorecard_id.in_(cards)),
                    (ExperienceAnswer, ["comment"], ExperienceAnswer.opening_id.in_(opening_ids))]
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
    """Anonymise the candidate everywhere: person data gone, links revoked, messages
    cancelled, pool profile and CV deleted, their name taken out of staff's notes; counts
    that identify nobody stay."""
    from flask import current_app

    from portal.pool.services import delete_profile
    from portal.references.models import Referee
    from portal.techcheck.models import TechCheckResult

    email, cid = candidate.email, candidate.id
    delete_profile(db, settings or current_app.config["PORTAL"], cid)
    revoke_all(db, candidate)
    app_ids = list(db.scalars(select(Application.id).where(Application.candidate_id == cid)))
    db.execute(delete(OutboxMessage).where(or_(OutboxMessage.candidate_id == cid,
                                               OutboxMessage.to_email == email)))
    if app_ids:
        db.execute(delete(Referee).where(Referee.application_id.in_(app_ids)))
        db.execute(update(Interview).where(Interview.application_id.in_(app_ids))
                   .values(response_message=""))
        from portal.decisions.models import OutcomeMessage

        db.execute(update(OutcomeMessage).where(OutcomeMessage.application_id.in_(app_ids))
                   .values(subject="", body="", skipped_reason=""))
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
        due = db.scalars(select(TalentConsent).where(
            TalentConsent.withdrawn_at.is_(None), TalentConsent.expires_at > now,
            TalentConsent.expires_at <= now + timedelta(days=days),
            getattr(TalentConsent, column).is_(None)))
        for consent in due:
            if days == 30 and consent.reminded_7_at is not None:
                continue
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
