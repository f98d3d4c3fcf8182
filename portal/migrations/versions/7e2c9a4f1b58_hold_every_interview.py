"""every scheduled interview holds its panel's time: hold the interviews still to come
that were scheduled by hand before (booked ones hold theirs already)

Revision ID: 7e2c9a4f1b58
Revises: 7e4a9c2d1f53
Create Date: 2026-12-22 09:00:00

An interview whose panel already has another interview at an overlapping time (two
scheduled by hand at once, which nothing refused before) cannot hold its time: the
exclusion constraint (SQLite: the trigger) would refuse it. Such an interview is left as
it is, holding nothing, and named in the migration's log, so a recruiter can move it; the
one scheduled first (the lower id) keeps the time. Nothing else changes, and the schema
does not change either.
"""
import logging
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7e2c9a4f1b58'
down_revision = '7e4a9c2d1f53'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

interview = sa.table('interview', sa.column('id', sa.Integer),
                     sa.column('starts_at', sa.DateTime(timezone=True)),
                     sa.column('duration_minutes', sa.Integer),
                     sa.column('status', sa.String))
panel = sa.table('interview_interviewer', sa.column('interview_id', sa.Integer),
                 sa.column('user_id', sa.Integer))
hold = sa.table('interviewer_hold', sa.column('interviewer_id', sa.Integer),
                sa.column('interview_id', sa.Integer),
                sa.column('starts_at', sa.DateTime(timezone=True)),
                sa.column('ends_at', sa.DateTime(timezone=True)))
offer = sa.table('booking_offer', sa.column('interview_id', sa.Integer))

# No interview is longer than this (the form allows 480 minutes): one that started this
# long ago is over.
LONGEST = timedelta(days=1)


def _utc(value: datetime) -> datetime:
    """SQLite gives back naive datetimes (stored in UTC); PostgreSQL aware ones."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def upgrade():
    bind = op.get_bind()
    now = datetime.now(UTC)
    # What is held already (booked interviews), per interviewer.
    held: dict[int, list[tuple[datetime, datetime]]] = {}
    held_interviews = set()
    for user_id, interview_id, start, end in bind.execute(
            sa.select(hold.c.interviewer_id, hold.c.interview_id, hold.c.starts_at,
                      hold.c.ends_at)):
        held.setdefault(user_id, []).append((_utc(start), _utc(end)))
        held_interviews.add(interview_id)
    # Scheduled interviews not over yet, with their panels, in the order they were made.
    panels: dict[int, list[int]] = {}
    spans: dict[int, tuple[datetime, datetime]] = {}
    for interview_id, start, minutes, user_id in bind.execute(
            sa.select(interview.c.id, interview.c.starts_at, interview.c.duration_minutes,
                      panel.c.user_id)
            .join(panel, panel.c.interview_id == interview.c.id)
            .where(interview.c.status == 'scheduled',
                   interview.c.starts_at > now - LONGEST)
            .order_by(interview.c.id, panel.c.user_id)):
        start = _utc(start)
        end = start + timedelta(minutes=minutes)
        if end <= now or interview_id in held_interviews:
            continue
        spans[interview_id] = (start, end)
        panels.setdefault(interview_id, []).append(user_id)
    rows, skipped = [], []
    for interview_id, users in panels.items():
        start, end = spans[interview_id]
        if any(s < end and start < e for user_id in users for s, e in held.get(user_id, [])):
            skipped.append(interview_id)
            continue
        for user_id in users:
            held.setdefault(user_id, []).append((start, end))
            rows.append({"interviewer_id": user_id, "interview_id": interview_id,
                         "starts_at": start, "ends_at": end})
    if rows:
        op.bulk_insert(hold, rows)
    if skipped:
        log.warning("%d scheduled interview(s) overlap another interview of the same "
                    "interviewer and hold no time until moved: interview id %s",
                    len(skipped), ", ".join(str(i) for i in skipped))


def downgrade():
    # Back to holds for booked interviews only.
    booked = sa.select(offer.c.interview_id).where(offer.c.interview_id.is_not(None))
    op.execute(hold.delete().where(hold.c.interview_id.not_in(booked)))
