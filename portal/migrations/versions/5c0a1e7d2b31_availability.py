"""availability: interviewers' working hours, calendar connections, busy-time cache

Revision ID: 5c0a1e7d2b31
Revises: 1107fbc8bd0e
Create Date: 2026-12-20 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c0a1e7d2b31'
down_revision = '1107fbc8bd0e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('interviewer_schedule',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_interviewer_schedule_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_interviewer_schedule'))
    )
    op.create_table('working_hours',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_minute', sa.Integer(), nullable=False),
    sa.Column('end_minute', sa.Integer(), nullable=False),
    sa.Column('break_start', sa.Integer(), nullable=True),
    sa.Column('break_end', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_working_hours_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'weekday', name=op.f('pk_working_hours'))
    )
    op.create_table('day_off',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_day_off_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_day_off')),
    sa.UniqueConstraint('user_id', 'day', name=op.f('uq_day_off_user_id'))
    )
    with op.batch_alter_table('day_off', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_day_off_user_id'), ['user_id'], unique=False)

    op.create_table('calendar_connection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_refresh_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('covered_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('busy_count', sa.Integer(), nullable=False),
    sa.Column('last_sync_error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], name=op.f('fk_calendar_connection_user_id_staff_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_connection'))
    )
    with op.batch_alter_table('calendar_connection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_connection_user_id'), ['user_id'], unique=False)

    op.create_table('busy_block',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uid', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['calendar_connection.id'], name=op.f('fk_busy_block_connection_id_calendar_connection'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_busy_block'))
    )
    with op.batch_alter_table('busy_block', schema=None) as batch_op:
        batch_op.create_index('ix_busy_block_connection_starts', ['connection_id', 'starts_at'], unique=False)

    op.create_table('calendar_event_copy',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('href', sa.String(length=1000), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['calendar_connection.id'], name=op.f('fk_calendar_event_copy_connection_id_calendar_connection'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_event_copy')),
    sa.UniqueConstraint('interview_id', 'connection_id', name=op.f('uq_calendar_event_copy_interview_id'))
    )
    with op.batch_alter_table('calendar_event_copy', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_event_copy_connection_id'), ['connection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calendar_event_copy_interview_id'), ['interview_id'], unique=False)

    op.create_table('calendar_sync_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_sync_job')),
    sa.UniqueConstraint('interview_id', name=op.f('uq_calendar_sync_job_interview_id'))
    )
    with op.batch_alter_table('calendar_sync_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_sync_job_due_at'), ['due_at'], unique=False)


def downgrade():
    with op.batch_alter_table('calendar_sync_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_sync_job_due_at'))
    op.drop_table('calendar_sync_job')
    with op.batch_alter_table('calendar_event_copy', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_event_copy_interview_id'))
        batch_op.drop_index(batch_op.f('ix_calendar_event_copy_connection_id'))
    op.drop_table('calendar_event_copy')
    with op.batch_alter_table('busy_block', schema=None) as batch_op:
        batch_op.drop_index('ix_busy_block_connection_starts')
    op.drop_table('busy_block')
    with op.batch_alter_table('calendar_connection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_connection_user_id'))
    op.drop_table('calendar_connection')
    with op.batch_alter_table('day_off', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_day_off_user_id'))
    op.drop_table('day_off')
    op.drop_table('working_hours')
    op.drop_table('interviewer_schedule')
