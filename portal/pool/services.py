"""Pool profiles (the candidate's part and staff's part), CVs, re-contact and saved
searches. Retention lives in ``portal.pool.retention``."""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from portal.accounts.models import User
from portal.errors import DomainError, NotFound
from portal.feedback.models import KitCompetency, Scorecard, ScorecardRating
from portal.hiring.models import Application, Candidate, Interview, Opening, StageKind
from portal.hiring.services import require_manager
from portal.pool import search
from portal.pool.models import InviteAnswer, PoolInvite, SavedSearch, TalentProfile
from portal.privacy.models import TalentConsent
from portal.privacy.services import audit, current_consent
from portal.settings import Settings
from portal.timeutil import utcnow

MAX_CV_BYTES = 10 * 1024 * 1024
MAX_CV_TEXT = 200_000
REMOTE_CHOICES = ("", "onsite", "hybrid", "remote")


# ---------------------------------------------------------------- profiles


def profile_of(db: Session, candidate_id: int) -> TalentProfile | None:
    return db.scalar(select(TalentProfile).where(TalentProfile.candidate_id == candidate_id))


def ensure_profile(db: Session, candidate: Candidate, roles: str = "") -> TalentProfile:
    """The candidate's profile, made on joining the pool; history and index refreshed."""
    profile = profile_of(db, candidate.id)
    if profile is None:
        profile = TalentProfile(candidate=candidate, roles=roles.strip()[:500])
        db.add(profile)
        db.flush()
    elif roles.strip():
        profile.roles = roles.strip()[:500]
    refresh_history(db, profile)
    search.reindex(db, profile)
    return profile


def refresh_history(db: Session, profile: TalentProfile) -> None:
    """How far the candidate got in past processes, and their best weighted score."""
    best_position, best_name = 0, ""
    for application in db.scalars(select(Application).where(
            Application.candidate_id == profile.candidate_id)):
        stage = application.stage
        if stage.is_end and stage.kind != StageKind.HIRED:
            stage = application.last_open_stage or stage
        if stage.position >= best_position and (stage.kind in (StageKind.OPEN, StageKind.HIRED)):
            best_position, best_name = stage.position, stage.name
    profile.stage_reached, profile.stage_name = best_position, best_name
    profile.best_score = best_score(db, profile.candidate_id)
    profile.updated_at = utcnow()


def scores_by_application(db: Session, candidate_id: int) -> dict[int, float]:
    """Each of the candidate's applications' weighted mean over submitted scorecards."""
    rows = db.execute(
        select(Interview.application_id, ScorecardRating.competency_id, KitCompetency.weight,
               func.avg(ScorecardRating.rating))
        .join(Scorecard, Scorecard.id == ScorecardRating.scorecard_id)
        .join(Interview, Interview.id == Scorecard.interview_id)
        .join(Application, Application.id == Interview.application_id)
        .join(KitCompetency, KitCompetency.id == ScorecardRating.competency_id)
        .where(Application.candidate_id == candidate_id, Scorecard.submitted_at.is_not(None),
               ScorecardRating.rating.is_not(None))
        .group_by(Interview.application_id, ScorecardRating.competency_id,
                  KitCompetency.weight)).all()
    per_application: dict[int, list[tuple[int, float]]] = {}
    for application_id, _competency, weight, mean in rows:
        per_application.setdefault(application_id, []).append((weight, float(mean)))
    return {app_id: round(sum(w * m for w, m in pairs) / sum(w for w, _ in pairs), 2)
            for app_id, pairs in per_application.items() if sum(w for w, _ in pairs)}


def best_score(db: Session, candidate_id: int) -> float | None:
    scores = scores_by_application(db, candidate_id)
    return max(scores.values()) if scores else None


@dataclass
class CandidatePart:
    summary: str = ""
    skills: str = ""
    location: str = ""
    remote: str = ""
    languages: str = ""
    roles: str = ""


def update_candidate_part(db: Session, profile: TalentProfile, data: CandidatePart) -> None:
    if data.remote not in REMOTE_CHOICES:
        raise DomainError(_l("Choose one of the options."), field="remote")
    profile.summary = data.summary.strip()[:2000]
    profile.skills = ", ".join(TalentProfile.split(data.skills))[:1000]
    profile.location = data.location.strip()[:120]
    profile.remote = data.remote
    profile.languages = ", ".join(TalentProfile.split(data.languages))[:200]
    profile.roles = data.roles.strip()[:500]
    profile.updated_at = utcnow()
    consent = current_consent(db, profile.candidate_id)
    if consent is not None:  # one list of roles: what they may be contacted about
        consent.roles = profile.roles
    search.reindex(db, profile)
    audit(db, "profile_changed", profile.candidate_id, "candidate", profile.candidate_id)


def update_staff_part(db: Session, actor: User, profile: TalentProfile, tags: str,
                      notes: str) -> None:
    require_manager(actor)
    profile.tags = ", ".join(TalentProfile.split(tags))[:1000]
    profile.notes = notes.strip()[:5000]
    profile.updated_at = utcnow()
    search.reindex(db, profile)
    audit(db, "profile_changed", profile.candidate_id, "staff", actor.id)


def delete_profile(db: Session, settings: Settings, candidate_id: int) -> bool:
    """Take the candidate out of the pool's data: profile, CV file and index entry."""
    profile = profile_of(db, candidate_id)
    if profile is None:
        return False
    _remove_cv_file(settings, profile.cv_key)
    search.unindex(db, profile.id)
    db.delete(profile)
    db.flush()
    return True


# ---------------------------------------------------------------- CVs


def _cv_path(settings: Settings, key: str) -> Path:
    return Path(settings.upload_dir) / "cv" / f"{key}.pdf"


def _remove_cv_file(settings: Settings, key: str | None) -> None:
    if key:
        _cv_path(settings, key).unlink(missing_ok=True)


def extract_pdf_text(data: bytes) -> str:
    """The text of a PDF, checked by content: refuses what is not a readable PDF."""
    from pypdf import PdfReader

    if not data.lstrip()[:1024].startswith(b"%PDF-"):
        raise DomainError(_l("The file is not a PDF. Save your CV as PDF and try again."),
                          field="cv")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise DomainError(_l("The PDF is password-protected. Upload it without a "
                                     "password."), field="cv")
            text = "\n".join((page.extract_text() or "") for page in reader.pages[:100])
    except DomainError:
        raise
    except Exception:  # noqa: BLE001 - a malformed PDF can fail anywhere in the parser
        raise DomainError(_l("The PDF could not be read. Save it again as PDF and try "
                             "again."), field="cv") from None
    return text.replace("\x00", "")[:MAX_CV_TEXT]


def safe_upload_name(filename: str | None) -> str:
    """The name to show staff; a name that tries a path is refused."""
    name = (filename or "").strip()
    if not name:
        raise DomainError(_l("Choose a PDF file."), field="cv")
    if any(ch in name for ch in ("/", "\\", "\x00")) or ".." in name or len(name) > 200:
        raise DomainError(_l("The file name is not allowed. Rename the file and try again."),
                          field="cv")
    return name


def read_cv(filename: str | None, stream: IO[bytes]) -> tuple[str, bytes, str]:
    """A CV as uploaded, checked: (a safe name, the bytes, the text); a real, readable PDF
    of at most 10 MB, or DomainError(field="cv")."""
    name = safe_upload_name(filename)
    data = stream.read(MAX_CV_BYTES + 1)
    if len(data) > MAX_CV_BYTES:
        raise DomainError(_l("The file is larger than 10 MB."), field="cv")
    if not data:
        raise DomainError(_l("The file is empty."), field="cv")
    return name, data, extract_pdf_text(data)


def store_cv(db: Session, settings: Settings, profile: TalentProfile, filename: str | None,
             stream: io.BufferedIOBase) -> None:
    """Check, extract and keep a CV outside the static folder; nothing is stored when a
    check fails."""
    name, data, text = read_cv(filename, stream)
    key = secrets.token_hex(16)
    path = _cv_path(settings, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    temporary.write_bytes(data)
    temporary.replace(path)
    _remove_cv_file(settings, profile.cv_key)
    profile.cv_key, profile.cv_name, profile.cv_size = key, name, len(data)
    profile.cv_uploaded_at = profile.updated_at = utcnow()
    profile.cv_text = text
    search.reindex(db, profile)
    audit(db, "cv_uploaded", profile.candidate_id, "candidate", profile.candidate_id)


def remove_cv(db: Session, settings: Settings, profile: TalentProfile) -> None:
    _remove_cv_file(settings, profile.cv_key)
    profile.cv_key, profile.cv_name, profile.cv_size, profile.cv_text = None, "", 0, ""
    profile.cv_uploaded_at = None
    search.reindex(db, profile)
    audit(db, "cv_removed", profile.candidate_id, "candidate", profile.candidate_id)


def cv_file(settings: Settings, profile: TalentProfile) -> Path | None:
    if not profile.cv_key:
        return None
    path = _cv_path(settings, profile.cv_key)
    return path if path.is_file() else None


# ---------------------------------------------------------------- re-contact


def invite(db: Session, settings: Settings, actor: User, profile_ids: list[int],
           opening: Opening) -> tuple[int, int]:
    """Invite pool members to consider ``opening``: (invited, skipped). Skipped are those
    already invited to it, already in its process, or no longer in the pool."""
    from flask import url_for
    from flask_babel import gettext as _

    from portal.i18n import force_locale
    from portal.links.services import issue_link, link_url
    from portal.messaging.services import enqueue, render_email
    from portal.pool.consent import unsubscribe_url

    require_manager(actor)
    if opening.archived:
        raise DomainError(_l("Choose an opening that is not archived."), field="opening")
    invited = skipped = 0
    profiles = db.scalars(select(TalentProfile).options(joinedload(TalentProfile.candidate))
                          .where(TalentProfile.id.in_(profile_ids[:500]))).all()
    ids = [p.candidate_id for p in profiles]
    taken = set(db.scalars(select(PoolInvite.candidate_id).where(
        PoolInvite.opening_id == opening.id, PoolInvite.candidate_id.in_(ids))))
    taken |= set(db.scalars(select(Application.candidate_id).where(
        Application.opening_id == opening.id, Application.candidate_id.in_(ids))))
    now = utcnow()
    in_pool = set(db.scalars(select(TalentConsent.candidate_id).where(
        TalentConsent.candidate_id.in_(ids), TalentConsent.withdrawn_at.is_(None),
        TalentConsent.expires_at > now)))
    for profile in profiles:
        candidate = profile.candidate
        if candidate.id in taken or candidate.id not in in_pool:
            skipped += 1
            continue
        item = PoolInvite(candidate=candidate, opening=opening, invited_by_id=actor.id)
        db.add(item)
        db.flush()
        _link, token = issue_link(db, settings, candidate)
        link = link_url(settings, token, next_path=url_for("candidate.pool_invite",
                                                            invite_id=item.id))
        with force_locale(candidate.language):
            subject = _("A new role that may suit you: %(title)s", title=opening.title)
        text, html = render_email("pool_invite", candidate.language, candidate=candidate,
                                  opening=opening, link=link)
        # Sent in bulk: one-click unsubscribe (RFC 8058) ends the pool consent.
        enqueue(db, kind="pool_invite", to_email=candidate.email, to_name=candidate.name,
                subject=subject, text=text, html=html, candidate_id=candidate.id,
                headers={"List-Unsubscribe": f"<{unsubscribe_url(settings, item)}>",
                         "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
        audit(db, "pool_invited", candidate.id, "staff", actor.id)
        invited += 1
    return invited, skipped


def invite_for_candidate(db: Session, candidate: Candidate, invite_id: int) -> PoolInvite:
    item = db.get(PoolInvite, invite_id)
    if item is None or item.candidate_id != candidate.id:
        raise NotFound(_l("No such invitation."))
    return item


def record_invite_answer(db: Session, settings: Settings, item: PoolInvite,
                         answer: str) -> Opening | None:
    """The candidate's answer. Returns the opening to apply to when they are interested
    (the lifecycle starts the application); "never again" withdraws their consent to the
    pool."""
    from portal.pool.consent import withdraw_consent

    if answer not in InviteAnswer.ALL:
        raise DomainError(_l("Choose one of the answers."))
    if item.answer == InviteAnswer.INTERESTED:
        raise DomainError(_l("You have already said you are interested."))
    opening, candidate = item.opening, item.candidate
    if answer == InviteAnswer.INTERESTED and opening.archived:
        raise DomainError(_l("This role is no longer open. Thank you for your interest."))
    item.answer, item.answered_at = answer, utcnow()
    audit(db, f"invite_{answer}", candidate.id, "candidate", candidate.id)
    if answer == InviteAnswer.INTERESTED:
        return opening
    if answer == InviteAnswer.NEVER and current_consent(db, candidate.id) is not None:
        withdraw_consent(db, settings, candidate)
    return None


# ---------------------------------------------------------------- saved searches


def save_search(db: Session, actor: User, name: str, query: str) -> SavedSearch:
    name = name.strip()[:80]
    if not name:
        raise DomainError(_l("Give the search a name."), field="name")
    existing = db.scalar(select(SavedSearch).where(SavedSearch.user_id == actor.id,
                                                   SavedSearch.name == name))
    saved = existing or SavedSearch(user_id=actor.id, name=name)
    saved.query = query[:2000]
    db.add(saved)
    db.flush()
    return saved


def saved_searches(db: Session, actor: User) -> list[SavedSearch]:
    return list(db.scalars(select(SavedSearch).where(SavedSearch.user_id == actor.id)
                           .order_by(SavedSearch.name)))


def delete_saved(db: Session, actor: User, saved_id: int) -> None:
    saved = db.get(SavedSearch, saved_id)
    if saved is None or saved.user_id != actor.id:
        raise NotFound(_l("No such saved search."))
    db.delete(saved)
