"""Merging two records of one person: everything moves to the record kept, the other goes.

Applications, notes, CVs, consents, links, sessions and the audit trail follow the kept
record, found generically: every column that refers to a candidate is moved, so a table
added later moves too. Where a table allows one row per candidate (or per candidate and
something else), the kept record's row wins and the other is dropped. Two applications to
the same opening cannot both live: when both are open the merge is refused (close one
first); otherwise the open one (or the later one) stays.

One transaction, both candidate rows locked (in id order, so two merges at once never
wait on each other in a circle), audited, and the search index follows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.errors import DomainError
from portal.extensions import db as _db
from portal.hiring import search
from portal.hiring.models import Application, Candidate
from portal.hiring.services import require_manager
from portal.locks import lock
from portal.privacy.models import AuditEvent
from portal.privacy.services import audit
from portal.settings import Settings
from portal.timeutil import is_valid_zone

FIELDS = ("name", "email", "phone", "language", "timezone")


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")


def possible_duplicates(db: Session, candidate: Candidate,
                        limit: int = 5) -> list[tuple[Candidate, str]]:
    """Other records that may be the same person: the same name, the same phone number
    (its last nine digits), or the same email before the @. With the reasons, in words."""
    conditions: list[Any] = []
    name = candidate.name.strip().lower()
    if name:
        conditions.append(sa.func.lower(sa.func.trim(Candidate.name)) == name)
    digits = _digits(candidate.phone)
    if len(digits) >= 7:
        bare = Candidate.phone
        for ch in (" ", "-", "+", "(", ")", "."):
            bare = sa.func.replace(bare, ch, "")
        conditions.append(bare.like(f"%{digits[-9:]}"))
    local = candidate.email.split("@", 1)[0]
    if len(local) >= 3 and "%" not in local and "_" not in local:
        conditions.append(Candidate.email.like(f"{local}@%"))
    if not conditions:
        return []
    found = db.scalars(sa.select(Candidate).where(
        Candidate.id != candidate.id, sa.or_(*conditions)).order_by(Candidate.id).limit(limit))
    result = []
    for other in found:
        reasons = []
        if name and other.name.strip().lower() == name:
            reasons.append(_("same name"))
        if len(digits) >= 7 and _digits(other.phone).endswith(digits[-9:]):
            reasons.append(_("same phone number"))
        if other.email.split("@", 1)[0] == local:
            reasons.append(_("similar email address"))
        result.append((other, ", ".join(reasons)))
    return result


@dataclass
class MergePlan:
    """What a merge would do, for the page that shows both records side by side."""

    conflicts: list[str] = field(default_factory=list)  # titles of openings open in both
    dropped: list[Application] = field(default_factory=list)  # closed duplicates that go


def plan(db: Session, keep: Candidate, remove: Candidate) -> MergePlan:
    """Which applications collide (the same opening in both records)."""
    result = MergePlan()
    kept = {a.opening_id: a for a in keep.applications}
    for other in remove.applications:
        mine = kept.get(other.opening_id)
        if mine is None:
            continue
        if not mine.is_closed and not other.is_closed:
            result.conflicts.append(other.opening.title)
        elif mine.is_closed and not other.is_closed:
            result.dropped.append(mine)
        elif other.is_closed and not mine.is_closed:
            result.dropped.append(other)
        else:  # both closed: the later one stays
            result.dropped.append(mine if (mine.updated_at or mine.created_at) < (
                other.updated_at or other.created_at) else other)
    return result


def _candidate_columns() -> list[tuple[sa.Table, sa.Column[Any]]]:
    """Every column of every table that refers to a candidate."""
    found = []
    for table in _db.metadata.sorted_tables:
        if table.name == "candidate":
            continue
        for column in table.columns:
            if any(fk.column.table.name == "candidate" and fk.column.name == "id"
                   for fk in column.foreign_keys):
                found.append((table, column))
    return found


def _unique_sets(table: sa.Table, column: sa.Column[Any]) -> list[list[sa.Column[Any]]]:
    """The other columns of each unique rule on ``table`` that includes ``column``."""
    sets = []
    rules = [list(c.columns) for c in table.constraints if isinstance(
        c, sa.UniqueConstraint | sa.PrimaryKeyConstraint)]
    rules += [list(i.columns) for i in table.indexes if i.unique]
    for rule in rules:
        if column in rule:
            sets.append([c for c in rule if c is not column])
    return sets


def _move_rows(db: Session, table: sa.Table, column: sa.Column[Any], keep_id: int,
               remove_id: int) -> None:
    """Move the removed record's rows; a row that would break a unique rule (the kept
    record has one already) is dropped instead."""
    for others in _unique_sets(table, column):
        if not others:  # one row per candidate: the kept record's row wins
            if db.scalar(sa.select(sa.func.count()).select_from(table).where(
                    column == keep_id)):
                db.execute(table.delete().where(column == remove_id))
            continue
        twin = table.alias("twin")
        clash = sa.exists().where(twin.c[column.name] == keep_id,
                                  *[twin.c[o.name] == table.c[o.name] for o in others])
        db.execute(table.delete().where(column == remove_id, clash))
    db.execute(table.update().where(column == remove_id).values({column.name: keep_id}))


def _delete_tree(db: Session, table: sa.Table, ids: list[int]) -> None:
    """Delete rows and what hangs off them, as the database's ON DELETE rules would (SQLite
    here does not enforce them)."""
    if not ids:
        return
    for child in _db.metadata.sorted_tables:
        for column in child.columns:
            for fk in column.foreign_keys:
                if fk.column.table is not table or fk.column.name != "id":
                    continue
                if fk.ondelete == "SET NULL":
                    db.execute(child.update().where(column.in_(ids)).values({column.name: None}))
                    continue
                if "id" in child.c:
                    _delete_tree(db, child, list(db.scalars(
                        sa.select(child.c.id).where(column.in_(ids)))))
                else:
                    db.execute(child.delete().where(column.in_(ids)))
    db.execute(table.delete().where(table.c.id.in_(ids)))


def merge(db: Session, actor: User, keep: Candidate, remove: Candidate,
          take_from_other: set[str], settings: Settings | None = None) -> Candidate:
    """Merge ``remove`` into ``keep``; ``take_from_other`` names the fields (of FIELDS)
    whose value comes from the removed record. Refused while both records have an open
    application to the same opening."""
    require_manager(actor)
    if keep.id == remove.id:
        raise DomainError(_l("Choose two different candidates."))
    keep_id, remove_id = keep.id, remove.id
    for ident in sorted((keep_id, remove_id)):
        lock(db, keep if ident == keep_id else remove)
    db.refresh(keep, ["applications"])
    db.refresh(remove, ["applications"])
    found = plan(db, keep, remove)
    if found.conflicts:
        raise DomainError(_l("Both records have an open application to %(titles)s. Close one "
                             "of them first, then merge.", titles=", ".join(found.conflicts)))
    values = {name: getattr(remove if name in take_from_other else keep, name)
              for name in FIELDS}
    if not is_valid_zone(values["timezone"]):
        values["timezone"] = keep.timezone
    db.flush()
    _delete_tree(db, Application.__table__, [a.id for a in found.dropped])
    from portal.pool import search as pool_search
    from portal.pool.models import TalentProfile
    from portal.pool.services import delete_profile

    profiles = {p.candidate_id: p for p in db.scalars(sa.select(TalentProfile).where(
        TalentProfile.candidate_id.in_((keep_id, remove_id))))}
    if len(profiles) == 2:  # one profile per person: the kept record's stays
        if settings is not None:
            delete_profile(db, settings, remove_id)
        else:
            pool_search.unindex(db, profiles[remove_id].id)
    # Free the address first: an email is unique, and the kept record may take it.
    remove.email = f"merged-{remove_id}@invalid.example"
    db.flush()
    db.expire(keep, ["applications"])
    db.expire(remove, ["applications"])
    for table, column in _candidate_columns():
        _move_rows(db, table, column, keep_id, remove_id)
    db.execute(sa.update(AuditEvent).where(AuditEvent.candidate_id == remove_id)
               .values(candidate_id=keep_id).execution_options(synchronize_session=False))
    db.execute(sa.delete(Candidate).where(Candidate.id == remove_id)
               .execution_options(synchronize_session=False))
    db.expunge(remove)
    if "timezone" in take_from_other:
        keep.timezone_source = "recruiter"
    for name, value in values.items():
        setattr(keep, name, value)
    db.flush()
    db.expire_all()
    audit(db, "merged", keep_id, "staff", actor.id)
    audit(db, "merged_away", remove_id, "staff", actor.id)
    search.refresh(db, {keep_id, remove_id})
    profile = db.scalar(sa.select(TalentProfile).where(TalentProfile.candidate_id == keep_id))
    if profile is not None:
        pool_search.reindex(db, profile)
    return db.get(Candidate, keep_id)  # type: ignore[return-value]
