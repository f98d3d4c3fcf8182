"""Reading the audit log: events with the names of the people behind the ids.

The log itself stores ids only (it never holds person data); the names are looked up when
an admin reads it, so an erased candidate shows as anonymised and a removed one by id.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import csvsafe
from portal.accounts.models import User
from portal.hiring.models import Candidate
from portal.privacy.models import AuditEvent
from portal.privacy.words import (
    ERASED_CANDIDATE,
    GONE_CANDIDATE,
    GONE_COLLEAGUE,
    THE_PORTAL,
    actor_kind_label,
    audit_action_label,
    audit_sentence,
    is_erased_email,
)

LIMIT = 1000

# Names of other kinds of actor (e.g. "api_key": the key's name), registered by the part of
# the portal that owns them: ids -> names, in one query.
ACTOR_NAMES: dict[str, Callable[[Session, set[int]], dict[int, str]]] = {}


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    actor_name: str  # "" when the actor is the system or no longer exists
    candidate_name: str  # "" when the candidate no longer exists or was erased
    candidate_erased: bool = False

    @property
    def action_label(self) -> str:
        return audit_action_label(self.event.action)

    @property
    def actor_label(self) -> str:
        """Who did it, for a page: a name, or what kind of actor it was."""
        if self.actor_name:
            return self.actor_name
        if self.event.actor_kind == "candidate" and self.candidate_erased:
            return str(ERASED_CANDIDATE)
        return actor_kind_label(self.event.actor_kind)

    @property
    def candidate_label(self) -> str:
        """The candidate for a page: their name, "an erased candidate", or "" (none)."""
        if self.candidate_erased:
            return str(ERASED_CANDIDATE)
        if self.candidate_name:
            return self.candidate_name
        return str(GONE_CANDIDATE) if self.event.candidate_id else ""

    @property
    def sentence(self) -> str:
        """The event in words, in the reader's language: "Maria Lind opened Anna Berg's
        CV"."""
        e = self.event
        by_candidate = e.actor_kind == "candidate" and e.actor_id == e.candidate_id
        actor = self.actor_label
        if e.actor_kind == "staff" and not self.actor_name:
            actor = str(GONE_COLLEAGUE)
        elif e.actor_kind == "system":
            actor = str(THE_PORTAL)
        return audit_sentence(e.action, actor, self.candidate_label, str(get_locale() or "sv"),
                              by_candidate=by_candidate)


def search(db: Session, candidate_id: int | None = None, action: str = "") -> list[AuditRow]:
    """The newest events (at most LIMIT), optionally for one candidate or one action."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(LIMIT)
    if candidate_id:
        query = query.where(AuditEvent.candidate_id == candidate_id)
    if action:
        query = query.where(AuditEvent.action == action)
    events = db.scalars(query).all()
    staff_ids = {e.actor_id for e in events if e.actor_kind == "staff" and e.actor_id}
    candidate_ids = {e.candidate_id for e in events if e.candidate_id}
    candidate_ids |= {e.actor_id for e in events if e.actor_kind == "candidate" and e.actor_id}
    staff: dict[int, str] = {}
    if staff_ids:
        staff = {i: n for i, n in db.execute(
            select(User.id, User.name).where(User.id.in_(staff_ids)))}
    people: dict[int, str] = {}
    erased: set[int] = set()
    if candidate_ids:
        for i, n, email in db.execute(select(Candidate.id, Candidate.name, Candidate.email)
                                      .where(Candidate.id.in_(candidate_ids))):
            if is_erased_email(i, email):
                erased.add(i)
            else:
                people[i] = n

    others: dict[str, dict[int, str]] = {}
    for kind, lookup in ACTOR_NAMES.items():
        ids = {e.actor_id for e in events if e.actor_kind == kind and e.actor_id}
        others[kind] = lookup(db, ids) if ids else {}

    def actor(event: AuditEvent) -> str:
        if event.actor_kind in others:
            return others[event.actor_kind].get(event.actor_id or 0, "")
        if event.actor_kind == "staff":
            return staff.get(event.actor_id or 0, "")
        if event.actor_kind == "candidate":
            return people.get(event.actor_id or 0, "")
        return ""

    return [AuditRow(e, actor(e), people.get(e.candidate_id or 0, ""),
                     (e.candidate_id or 0) in erased) for e in events]


def to_csv(rows: list[AuditRow]) -> str:
    """Machine-readable: the stored keys and ids as before, the names added at the end (so
    a reader of the earlier columns is not disturbed)."""
    out = io.StringIO()
    writer = csvsafe.writer(out)  # names are typed by people: never a formula
    writer.writerow(["at", "actor_kind", "actor_id", "action", "candidate_id", "actor_name",
                     "candidate_name", "what_happened"])
    for row in rows:
        e = row.event
        writer.writerow([e.at.isoformat(), e.actor_kind, e.actor_id, e.action, e.candidate_id,
                         row.actor_name, row.candidate_name, row.sentence])
    return out.getvalue()
