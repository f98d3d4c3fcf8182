"""Reading the audit log: events with the names of the people behind the ids.

The log itself stores ids only (it never holds person data); the names are looked up when
an admin reads it, so an erased candidate shows as anonymised and a removed one by id.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import csvsafe
from portal.accounts.models import User
from portal.hiring.models import Candidate
from portal.privacy.models import AuditEvent
from portal.privacy.words import actor_kind_label, audit_action_label

LIMIT = 1000


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    actor_name: str  # "" when the actor is the system or no longer exists
    candidate_name: str  # "" when the candidate no longer exists

    @property
    def action_label(self) -> str:
        return audit_action_label(self.event.action)

    @property
    def actor_label(self) -> str:
        """Who did it, for a page: a name, or what kind of actor it was."""
        return self.actor_name or actor_kind_label(self.event.actor_kind)


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
    if candidate_ids:
        people = {i: n for i, n in db.execute(
            select(Candidate.id, Candidate.name).where(Candidate.id.in_(candidate_ids)))}

    def actor(event: AuditEvent) -> str:
        if event.actor_kind == "staff":
            return staff.get(event.actor_id or 0, "")
        if event.actor_kind == "candidate":
            return people.get(event.actor_id or 0, "")
        return ""

    return [AuditRow(e, actor(e), people.get(e.candidate_id or 0, "")) for e in events]


def to_csv(rows: list[AuditRow]) -> str:
    """Machine-readable: the stored keys and ids as before, the names added at the end (so
    a reader of the earlier columns is not disturbed)."""
    out = io.StringIO()
    writer = csvsafe.writer(out)  # names are typed by people: never a formula
    writer.writerow(["at", "actor_kind", "actor_id", "action", "candidate_id", "actor_name",
                     "candidate_name"])
    for row in rows:
        e = row.event
        writer.writerow([e.at.isoformat(), e.actor_kind, e.actor_id, e.action, e.candidate_id,
                         row.actor_name, row.candidate_name])
    return out.getvalue()
