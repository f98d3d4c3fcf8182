"""candidate sessions live on the server, so signing out ends them

Revision ID: 015fd74da9f2
Revises: e7b2d4f8a1c3
Create Date: 2026-12-10 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '015fd74da9f2'
down_revision = 'e7b2d4f8a1c3'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('candidate_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('link_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidate.id'], name=op.f('fk_candidate_session_candidate_id_candidate'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['link_id'], ['magic_link.id'], name=op.f('fk_candidate_session_link_id_magic_link'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidate_session'))
    )
    with op.batch_alter_table('candidate_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_candidate_session_candidate_id'), ['candidate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_candidate_session_link_id'), ['link_id'], unique=False)


def downgrade():
    with op.batch_alter_table('candidate_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_candidate_session_link_id'))
        batch_op.drop_index(batch_op.f('ix_candidate_session_candidate_id'))

    op.drop_table('candidate_session')
