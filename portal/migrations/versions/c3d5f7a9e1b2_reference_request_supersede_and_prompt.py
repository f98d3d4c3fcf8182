"""reference requests: superseded and revoked, one live per referee; the candidate prompt

Revision ID: c3d5f7a9e1b2
Revises: b7c1e0a9d2f4
Create Date: 2026-12-02 04:10:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c3d5f7a9e1b2'
down_revision = 'b7c1e0a9d2f4'
branch_labels = None
depends_on = None

LIVE = "superseded_at IS NULL AND revoked_at IS NULL"


def upgrade():
    with op.batch_alter_table('reference_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))

    # Requests sent again before this existed left several links alive per referee. Keep
    # the one that was answered (the first, if more were), else the newest; the others are
    # superseded, so that the index below can hold.
    op.get_bind().execute(sa.text(
        "UPDATE reference_request SET superseded_at = :now WHERE id <> COALESCE("
        " (SELECT MIN(a.id) FROM reference_request a"
        "  WHERE a.referee_id = reference_request.referee_id AND a.answered_at IS NOT NULL),"
        " (SELECT MAX(b.id) FROM reference_request b"
        "  WHERE b.referee_id = reference_request.referee_id))"
    ).bindparams(sa.bindparam('now', datetime.now(UTC), type_=sa.DateTime(timezone=True))))

    with op.batch_alter_table('reference_request', schema=None) as batch_op:
        batch_op.create_index('uq_reference_request_one_live', ['referee_id'], unique=True,
                              sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))

    op.create_table('reference_prompt',
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_reference_prompt_application_id_application'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('application_id', name=op.f('pk_reference_prompt'))
    )


def downgrade():
    op.drop_table('reference_prompt')
    with op.batch_alter_table('reference_request', schema=None) as batch_op:
        batch_op.drop_index('uq_reference_request_one_live')
        batch_op.drop_column('revoked_at')
        batch_op.drop_column('superseded_at')
