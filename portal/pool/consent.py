"""Membership of the talent pool: joining and extending (a consent record and a profile),
leaving, one-click unsubscribe from pool emails, the pool's part of a candidate's data
export and of their erasure. The consent records themselves are ``portal.privacy``'s; this
module builds on them, and ``portal.privacy`` never imports the pool."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.errors import DomainError
from portal.hiring.models import Candidate
from portal.messaging.models import MessageStatus, OutboxMessage
from portal.pool.models import InviteAnswer, PoolInvite, RetentionHold, SavedSearch, TalentProfile
from portal.pool.services import delete_profile, ensure_profile
from portal.privacy.models import TalentConsent
from portal.privacy.services import (
    CONSENT_TEXT_VERSION,
    add_months,
    audit,
    current_consent,
    scrub_rows,
    scrubber,
)
from portal.settings import Settings
from portal.timeutil import utcnow


def give_consent(db: Session, settings: Settings, candidate: Candidate, language: str,
                 roles: str | None = None) -> TalentConsent:
    """Join the pool, or extend: a new record with this text version, language and time,
    for ``settings.talent_pool_months`` calendar months. The roles are the pool profile's
    (one field): given on joining, kept as they are when ``roles`` is None (extending)."""
    previous = current_consent(db, candidate.id)
    if previous is not None:
        previous.withdrawn_at = utcnow()  # superseded by the new consent
    now = utcnow()
    profile = ensure_profile(db, candidate, roles or "")
    consent = TalentConsent(candidate_id=candidate.id, text_version=CONSENT_TEXT_VERSION,
                            language=language, roles=profile.roles, given_at=now,
                            expires_at=add_months(now, settings.talent_pool_months))
    db.add(consent)
    audit(db, "consent_extended" if previous else "consent_given", candidate.id, "candidate",
          candidate.id)
    return consent


def withdraw_consent(db: Session, settings: Settings, candidate: Candidate) -> None:
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
    delete_profile(db, settings, candidate.id)


def _unsubscribe_serializer(settings: Settings) -> Any:
    from itsdangerous import URLSafeTimedSerializer

    from portal.links.services import _SALTS, PURPOSE_UNSUBSCRIBE

    return URLSafeTimedSerializer([*settings.secret_key_fallbacks, settings.secret_key],
                                  salt=_SALTS[PURPOSE_UNSUBSCRIBE])


def unsubscribe_url(settings: Settings, invite: Any) -> str:
    """The List-Unsubscribe address of one talent-pool invitation (RFC 8058): signed for
    that purpose only, naming the invitation row, which names the person."""
    token = _unsubscribe_serializer(settings).dumps({"i": invite.id, "c": invite.candidate_id})
    # The token right after /pool/, where the access-log filter redacts it.
    return f"{settings.base_url}/pool/{token}/unsubscribe"


def unsubscribe_target(db: Session, settings: Settings, token: str) -> tuple[Candidate, Any]:
    """The candidate and invitation an unsubscribe link names; DomainError when the link
    is broken, too old, or its invitation is gone."""
    from itsdangerous import BadSignature

    try:
        data = _unsubscribe_serializer(settings).loads(
            token, max_age=settings.link_max_age_days * 86400)
    except BadSignature:
        raise DomainError(_l("This link does not work any more.")) from None
    invite = (db.get(PoolInvite, data.get("i")) if isinstance(data, dict)
              and isinstance(data.get("i"), int) else None)
    if invite is None or invite.candidate_id != data.get("c"):
        raise DomainError(_l("This link does not work any more."))
    return invite.candidate, invite


def unsubscribe(db: Session, settings: Settings, candidate: Candidate, invite: Any) -> bool:
    """One-click unsubscribe from a pool email: the talent-pool consent ends (as on
    "never again"). Safe to repeat; returns False when they had already left."""
    if not invite.answer:
        invite.answer, invite.answered_at = InviteAnswer.NEVER, utcnow()
    if current_consent(db, candidate.id) is None:
        return False
    withdraw_consent(db, settings, candidate)
    return True


def export_part(db: Session, candidate: Candidate) -> dict[str, Any]:
    """The pool's part of the candidate's data export."""
    iso = lambda value: value.isoformat() if value else None  # noqa: E731
    data: dict[str, Any] = {}
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
    return data


def forget(db: Session, settings: Settings, candidate: Candidate) -> None:
    """The pool's part of an erasure: profile, CV file and index entry gone, and the name
    taken out of retention holds and saved searches."""
    delete_profile(db, settings, candidate.id)
    scrub_rows(db, scrubber(candidate), [
        (RetentionHold, ["reason"], RetentionHold.candidate_id == candidate.id),
        (SavedSearch, ["name", "query"], None),
    ])
