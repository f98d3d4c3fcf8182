"""Two at once (house rule 12): row locks, claims and "create if missing", the same way on
PostgreSQL and SQLite.

PostgreSQL takes real row locks (``SELECT ... FOR UPDATE``, ``SKIP LOCKED`` for the
worker's duties). SQLite has one writer at a time, but the driver starts a transaction
only at the first write, so a read made before it may already be stale: ``lock`` therefore
takes SQLite's write lock first (a write that changes nothing) and reads the row afresh
after it. A claim is a conditional ``UPDATE`` whose row count says who won; both
databases decide it on the newest committed row.
"""

from __future__ import annotations

from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, select, update
from sqlalchemy.orm import Session

from portal.errors import NotFound

T = TypeVar("T")


def is_postgresql(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def skip_locked(db: Session, query: Select[Any], *of: Any) -> Select[Any]:
    """A worker's query for due rows: on PostgreSQL the rows another worker is handling
    right now are skipped (and the ones returned stay locked until commit)."""
    if is_postgresql(db):
        return query.with_for_update(skip_locked=True, of=of or None)
    return query


def lock(db: Session, obj: T) -> T:
    """Take ``obj``'s row lock (held until the transaction ends) and read the row afresh,
    so a decision made after this sees what a concurrent writer committed before it.
    Pending changes are flushed first, so they are kept."""
    model = type(obj)
    db.flush()
    ident = obj.id  # type: ignore[attr-defined]
    if not is_postgresql(db):
        # SQLite: take the database's write lock now (the driver begins the transaction
        # here), so no other writer can commit between this read and our writes.
        table = model.__table__  # type: ignore[attr-defined]
        db.execute(update(table).where(table.c.id == ident).values(id=table.c.id))
    query = select(model).where(model.id == ident).execution_options(  # type: ignore[attr-defined]
        populate_existing=True)
    if is_postgresql(db):
        query = query.with_for_update(of=model)
    fresh = db.scalar(query)
    if fresh is None:  # removed by someone else in the meantime
        raise NotFound(_l("Page not found"))
    return fresh


def refresh_all(db: Session, query: Select[Any]) -> list[Any]:
    """Read rows afresh, overwriting what the session held (after a lock was taken)."""
    return list(db.scalars(query.execution_options(populate_existing=True)))


def claim(db: Session, model: Any, row_id: int, *unclaimed: ColumnElement[bool],
          **values: Any) -> bool:
    """``UPDATE model SET values WHERE id = row_id AND unclaimed``: True when this call
    made the change. Of two workers at once, exactly one gets True: the second waits for
    the first's row lock (PostgreSQL) or the write lock (SQLite), then finds the row
    claimed."""
    result = db.execute(update(model).where(model.id == row_id, *unclaimed).values(**values)
                        .execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined]


def insert_if_missing(db: Session, model: Any, values: dict[str, Any],
                      index_elements: list[str]) -> bool:
    """``INSERT ... ON CONFLICT DO NOTHING``: True when this call inserted the row. The
    second of two callers at once waits for the first and inserts nothing."""
    if is_postgresql(db):
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = model.__table__
    key = table.c[index_elements[0]]
    inserted = db.execute(insert(table).values(**values)
                          .on_conflict_do_nothing(index_elements=index_elements)
                          .returning(key)).first()
    return inserted is not None
