"""Magic links: issue, verify, revoke.

A token is an itsdangerous signature over the link row's id and a random nonce, salted for
its purpose and always checked with ``max_age``. The row decides the rest: a link is good
while the candidate has an open process and for ``link_grace_days`` after the last one
closed, and dies at once when revoked.
"""

from __future__ import annotations

import functools
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, delete, exists, func, select
from sqlalchemy.orm import Session

from portal.hiring.models import Application, Candidate
from portal.links.models import CandidateSession, MagicLink
from portal.settings import Settings
from portal.timeutil import utcnow

PURPOSE_CANDIDATE = "candidate"
PURPOSE_REFERENCE = "reference"
PURPOSE_POOL = "pool"
PURPOSE_UNSUBSCRIBE = "unsubscribe"
_SALTS = {PURPOSE_CANDIDATE: "portal.candidate-link.v1",
          PURPOSE_REFERENCE: "portal.reference-link.v1",
          PURPOSE_POOL: "portal.pool-extend.v1",
          PURPOSE_UNSUBSCRIBE: "portal.pool-unsubscribe.v1"}


class LinkProblem(Exception):
    """Why a link cannot be used: 'expired', 'revoked' or 'invalid'. ``candidate`` is set
    when the link could still be traced to a person (used for the page's language only)."""

    def __init__(self, reason: str, candidate: Candidate | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.candidate = candidate


def _serializer(settings: Settings, purpose: str) -> URLSafeTimedSerializer:
    # itsdangerous signs with the last key and accepts all: the current key goes last.
    keys = [*settings.secret_key_fallbacks, settings.secret_key]
    return URLSafeTimedSerializer(keys, salt=_SALTS[purpose])


def issue_link(db: Session, settings: Settings, candidate: Candidate) -> tuple[MagicLink, str]:
    """Create a link row for ``candidate`` and return it with its signed token."""
    now = utcnow()
    link = MagicLink(candidate=candidate, purpose=PURPOSE_CANDIDATE,
                     nonce=secrets.token_urlsafe(12), issued_at=now,
                     expires_at=now + timedelta(days=settings.link_max_age_days))
    db.add(link)
    db.flush()
    token = _serializer(settings, PURPOSE_CANDIDATE).dumps({"l": link.id, "n": link.nonce})
    return link, token


def link_url(settings: Settings, token: str, next_path: str | None = None) -> str:
    url = f"{settings.base_url}/c/{token}"
    if next_path:
        url += f"?next={next_path}"
    return url


def process_window_open(
    settings: Settings, has_open: bool, last_closed: datetime | None, issued_at: datetime,
    now: datetime | None = None,
) -> bool:
    """A candidate's links work while a process is open, and ``link_grace_days`` after."""
    if has_open:
        return True
    now = now or utcnow()
    anchor = last_closed or issued_at
    return now < anchor + timedelta(days=settings.link_grace_days)


# Where load_valid_link leaves the candidate's count of unread messages for the page
# (session.info: it lives as long as the request's session).
UNREAD_MESSAGES = "candidate_unread_messages"


@functools.cache
def _window_query() -> Any:
    """Built once: this runs on every candidate request, and building a select with two
    subqueries costs more than the database takes to answer it."""
    open_apps = (
        select(func.count(Application.id))
        .where(Application.candidate_id == MagicLink.candidate_id, Application.closed_at.is_(None))
        .scalar_subquery()
    )
    last_closed = (
        select(func.max(Application.closed_at))
        .where(Application.candidate_id == MagicLink.candidate_id)
        .scalar_subquery()
    )
    from portal.privacy.models import TalentConsent

    pool_until = (
        select(func.max(TalentConsent.expires_at))
        .where(TalentConsent.candidate_id == MagicLink.candidate_id,
               TalentConsent.withdrawn_at.is_(None))
        .scalar_subquery()
    )
    # The browser's session row, checked in the same query (no extra round trip per page).
    session_live = exists().where(CandidateSession.id == bindparam("session_id"),
                                  CandidateSession.link_id == MagicLink.id)
    # The navigation's count of unread messages, in the same query too.
    from portal.hiring.conversation import CandidateMessage, Direction

    unread = (
        select(func.count(CandidateMessage.id))
        .where(CandidateMessage.candidate_id == MagicLink.candidate_id,
               CandidateMessage.direction == Direction.TO_CANDIDATE.value,
               CandidateMessage.read_at.is_(None))
        .scalar_subquery()
    )
    return (
        select(MagicLink, Candidate, open_apps, last_closed, pool_until, session_live, unread)
        .join(Candidate, Candidate.id == MagicLink.candidate_id)
        .where(MagicLink.id == bindparam("link_id"))
    )


def load_valid_link(
    db: Session, settings: Settings, link_id: int, session_id: str | None = None
) -> tuple[MagicLink, Candidate]:
    """The link and its candidate, in one query, or LinkProblem. Used on every candidate
    request, so revocation takes effect at once. With ``session_id`` the browser's session
    row must exist too ('signed-out' when it was ended)."""
    row = db.execute(_window_query(), {"link_id": link_id, "session_id": session_id}).first()
    if row is None:
        raise LinkProblem("invalid")
    link, candidate, open_count, last_closed, pool_until, session_live, unread = row
    db.info.setdefault(UNREAD_MESSAGES, {})[candidate.id] = int(unread or 0)
    if link.revoked_at is not None:
        raise LinkProblem("revoked", candidate)
    if link.expires_at <= utcnow():
        raise LinkProblem("expired", candidate)
    if last_closed is not None and last_closed.tzinfo is None:
        last_closed = last_closed.replace(tzinfo=UTC)
    if pool_until is not None and pool_until.tzinfo is None:
        pool_until = pool_until.replace(tzinfo=UTC)
    in_pool = pool_until is not None and pool_until > utcnow()  # the pool keeps them with us
    if not (in_pool or process_window_open(settings, bool(open_count), last_closed,
                                           link.issued_at)):
        raise LinkProblem("expired", candidate)
    if session_id is not None and not session_live:
        raise LinkProblem("signed-out", candidate)
    return link, candidate


def verify_token(
    db: Session, settings: Settings, token: str, purpose: str = PURPOSE_CANDIDATE
) -> tuple[MagicLink, Candidate]:
    """Check a token's signature, age and row. Raises LinkProblem."""
    serializer = _serializer(settings, purpose)
    max_age = settings.link_max_age_days * 86400
    try:
        data = serializer.loads(token, max_age=max_age)
    except SignatureExpired as exc:
        candidate = None
        payload = exc.payload
        if isinstance(payload, dict) and isinstance(payload.get("l"), int):
            link = db.get(MagicLink, payload["l"])
            candidate = link.candidate if link is not None else None
        raise LinkProblem("expired", candidate) from None
    except BadSignature:
        raise LinkProblem("invalid") from None
    if not isinstance(data, dict) or not isinstance(data.get("l"), int):
        raise LinkProblem("invalid")
    link, candidate = load_valid_link(db, settings, data["l"])
    if not secrets.compare_digest(str(data.get("n", "")), link.nonce):
        raise LinkProblem("invalid")
    return link, candidate


def record_use(link: MagicLink) -> None:
    link.use_count += 1
    link.last_used_at = utcnow()


def revoke_all(db: Session, candidate: Candidate) -> int:
    """Revoke every live link of ``candidate`` and end every session opened through one."""
    now = utcnow()
    links = db.scalars(
        select(MagicLink).where(MagicLink.candidate_id == candidate.id,
                                MagicLink.revoked_at.is_(None))
    ).all()
    for link in links:
        link.revoked_at = now
    end_all_sessions(db, candidate.id)
    return len(links)


def start_session(db: Session, link: MagicLink) -> str:
    """A server-side session for the browser that opened ``link``; returns its id for the
    cookie. Rows of this candidate's dead links (revoked or past their end), which can
    never open anything again, are cleared on the way."""
    dead = select(MagicLink.id).where(
        MagicLink.candidate_id == link.candidate_id,
        (MagicLink.revoked_at.is_not(None)) | (MagicLink.expires_at <= utcnow()))
    db.execute(delete(CandidateSession).where(
        CandidateSession.candidate_id == link.candidate_id,
        CandidateSession.link_id.in_(dead)))
    sid = secrets.token_urlsafe(32)
    db.add(CandidateSession(id=sid, link_id=link.id, candidate_id=link.candidate_id))
    return sid


def end_session(db: Session, session_id: str) -> None:
    """Sign out: the row goes, so the cookie is worthless even if someone kept a copy."""
    db.execute(delete(CandidateSession).where(CandidateSession.id == session_id))


def end_all_sessions(db: Session, candidate_id: int) -> None:
    db.execute(delete(CandidateSession).where(CandidateSession.candidate_id == candidate_id))


def revoke(link: MagicLink) -> None:
    if link.revoked_at is None:
        link.revoked_at = utcnow()


def decoy_token(settings: Settings) -> str:
    """A token signed exactly as ``issue_link`` signs one, for no link at all: the answer to
    an unknown address does the same signing work as the answer to a known one."""
    return _serializer(settings, PURPOSE_CANDIDATE).dumps(
        {"l": 0, "n": secrets.token_urlsafe(12)})
