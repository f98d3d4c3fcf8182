"""staff notes with mentions and candidate message threads

Revision ID: 9c1a2b3c4d02
Revises: 9c1a2b3c4d01
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '9c1a2b3c4d02'
down_revision = '9c1a2b3c4d01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_note',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('mentions', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['staff_user.id'], name=op.f('fk_staff_note_author_id_staff_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidate.id'], name=op.f('fk_staff_note_candidate_id_candidate'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_note'))
    )
    with op.batch_alter_table('staff_note', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_note_candidate_id'), ['candidate_id'], unique=False)

    op.create_table('candidate_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('outbox_message_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['staff_user.id'], name=op.f('fk_candidate_message_author_id_staff_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidate.id'], name=op.f('fk_candidate_message_candidate_id_candidate'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_message_id'], ['outbox_message.id'], name=op.f('fk_candidate_message_outbox_message_id_outbox_message'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidate_message'))
    )
    with op.batch_alter_table('candidate_message', schema=None) as batch_op:
        batch_op.create_index('ix_candidate_message_candidate_at', ['candidate_id', 'created_at'], unique=False)

    with op.batch_alter_table('opening', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recruiter_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_opening_recruiter_id_staff_user'), 'staff_user', ['recruiter_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('opening', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_opening_recruiter_id_staff_user'), type_='foreignkey')
        batch_op.drop_column('recruiter_id')
    with op.batch_alter_table('candidate_message', schema=None) as batch_op:
        batch_op.drop_index('ix_candidate_message_candidate_at')
    op.drop_table('candidate_message')
    with op.batch_alter_table('staff_note', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_note_candidate_id'))
    op.drop_table('staff_note')
