"""Cursor paging in a stable order, (updated_at, id), and the ``updated_since`` filter.

The cursor is opaque to callers: the last row's sort key in URL-safe base64. A row changed
while a client pages moves to the end of the order, so a client that keeps paging (or
comes back later with ``updated_since``) sees it again rather than missing it.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session

from portal.errors import DomainError
from portal.forms import MAX_ID


def encode(stamp: datetime | None, ident: int) -> str:
    raw = json.dumps([stamp.isoformat() if stamp else None, ident]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime | None, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        stamp, ident = json.loads(raw)
        when = datetime.fromisoformat(stamp) if stamp is not None else None
        if when is not None and when.tzinfo is None:
            raise ValueError("naive")
        if not isinstance(ident, int) or isinstance(ident, bool) or not 0 < ident <= MAX_ID:
            raise ValueError("id")
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, OverflowError):
        raise DomainError(_l("This cursor is not one we gave out."), field="cursor") from None
    return when, ident


def page(db: Session, query: Select[Any], stamp_col: Any, id_col: Any,
         args: dict[str, Any]) -> tuple[list[Any], str | None]:
    """One page of ``query`` after ``args["cursor"]``, at most ``args["limit"]`` rows, and
    the cursor for the next page (None on the last)."""
    limit = args.get("limit", 25)
    since = args.get("updated_since")
    if since is not None and stamp_col is not None:
        query = query.where(stamp_col >= since)
    if args.get("cursor"):
        stamp, ident = decode(args["cursor"])
        if stamp_col is None:
            query = query.where(id_col > ident)
        elif stamp is None:
            raise DomainError(_l("This cursor is not one we gave out."), field="cursor")
        else:
            query = query.where(or_(stamp_col > stamp, and_(stamp_col == stamp,
                                                             id_col > ident)))
    order = [id_col] if stamp_col is None else [stamp_col, id_col]
    rows = list(db.scalars(query.order_by(*order).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    if not more or not rows:
        return rows, None
    last = rows[-1]
    stamp_value = getattr(last, stamp_col.key) if stamp_col is not None else None
    return rows, encode(stamp_value, last.id)
