"""booking: rounds candidates book themselves, their offers, adjustments, and the
interviewers' time bookings hold (never two overlapping holds of one person)

Revision ID: 6d1b2f8e3c42
Revises: 5c0a1e7d2b31
Create Date: 2026-12-20 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6d1b2f8e3c42'
down_revision = '5c0a1e7d2b31'
branch_labels = None
depends_on = None

SQLITE_NO_OVERLAP = """
CREATE TRIGGER IF NOT EXISTS tr_interviewer_hold_no_overlap
BEFORE INSERT ON interviewer_hold
WHEN EXISTS (SELECT 1 FROM interviewer_hold h
             WHERE h.interviewer_id = NEW.interviewer_id
               AND h.starts_at < NEW.ends_at AND NEW.starts_at < h.ends_at)
BEGIN
    SELECT RAISE(ABORT, 'ex_interviewer_hold_overlap');
END
"""


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        # "=" on an integer inside a GiST index; a trusted extension since PostgreSQL 13,
        # so the database's owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table('booking_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opening_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('round_name', sa.String(length=120), nullable=False),
    sa.Column('duration_minutes', sa.Integer(), nullable=False),
    sa.Column('required', sa.Integer(), nullable=True),
    sa.Column('window_starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('notice_hours', sa.Integer(), nullable=False),
    sa.Column('buffer_before_minutes', sa.Integer(), nullable=False),
    sa.Column('buffer_after_minutes', sa.Integer(), nullable=False),
    sa.Column('per_day_limit', sa.Integer(), nullable=True),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('meeting_url', sa.String(length=1000), nullable=False),
    sa.Column('cutoff_hours', sa.Integer(), nullable=False),
    sa.Column('what_to_expect', sa.Text(), nullable=False),
    sa.Column('preparation', sa.Text(), nullable=False),
    sa.Column('kit_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_user.id'], name=op.f('fk_booking_request_created_by_id_staff_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['kit_id'], ['interview_kit.id'], name=op.f('fk_booking_request_kit_id_interview_kit'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['opening_id'], ['opening.id'], name=op.f('fk_booking_request_opening_id_opening'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_request'))
    )
    with op.batch_alter_table('booking_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_request_opening_id'), ['opening_id'], unique=False)

    op.create_table('booking_request_interviewer',
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['booking_request.id'], name=op.f('fk_booking_request_interviewer_request_id_booking_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_booking_request_interviewer_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', 'user_id', name=op.f('pk_booking_request_interviewer'))
    )
    op.create_table('booking_offer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('booked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_booking_offer_application_id_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interview_id'], ['interview.id'], name=op.f('fk_booking_offer_interview_id_interview'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['booking_request.id'], name=op.f('fk_booking_offer_request_id_booking_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_offer')),
    sa.UniqueConstraint('request_id', 'application_id', name=op.f('uq_booking_offer_request_id'))
    )
    with op.batch_alter_table('booking_offer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_offer_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_offer_interview_id'), ['interview_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_offer_request_id'), ['request_id'], unique=False)

    op.create_table('booking_adjustment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('kinds', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_booking_adjustment_application_id_application'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_adjustment')),
    sa.UniqueConstraint('application_id', name=op.f('uq_booking_adjustment_application_id'))
    )
    op.create_table('interviewer_hold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interviewer_id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['interview_id'], ['interview.id'], name=op.f('fk_interviewer_hold_interview_id_interview'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interviewer_id'], ['staff_user.id'], name=op.f('fk_interviewer_hold_interviewer_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interviewer_hold'))
    )
    with op.batch_alter_table('interviewer_hold', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interviewer_hold_interview_id'), ['interview_id'], unique=False)
        batch_op.create_index('ix_interviewer_hold_interviewer_id_starts_at', ['interviewer_id', 'starts_at'], unique=False)
    if postgres:
        op.execute("ALTER TABLE interviewer_hold ADD CONSTRAINT ex_interviewer_hold_overlap "
                   "EXCLUDE USING gist (interviewer_id WITH =, "
                   "tstzrange(starts_at, ends_at) WITH &&)")
    else:
        op.execute(SQLITE_NO_OVERLAP)


def downgrade():
    # The btree_gist extension stays: other schemas in the database may use it.
    with op.batch_alter_table('interviewer_hold', schema=None) as batch_op:
        batch_op.drop_index('ix_interviewer_hold_interviewer_id_starts_at')
        batch_op.drop_index(batch_op.f('ix_interviewer_hold_interview_id'))

    op.drop_table('interviewer_hold')
    op.drop_table('booking_adjustment')
    with op.batch_alter_table('booking_offer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_offer_request_id'))
        batch_op.drop_index(batch_op.f('ix_booking_offer_interview_id'))
        batch_op.drop_index(batch_op.f('ix_booking_offer_application_id'))

    op.drop_table('booking_offer')
    op.drop_table('booking_request_interviewer')
    with op.batch_alter_table('booking_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_request_opening_id'))

    op.drop_table('booking_request')
