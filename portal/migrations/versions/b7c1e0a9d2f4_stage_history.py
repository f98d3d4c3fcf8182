"""stage history and the stage an interview round belongs to

Revision ID: b7c1e0a9d2f4
Revises: dd753961b041
Create Date: 2026-12-02 03:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c1e0a9d2f4'
down_revision = 'dd753961b041'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stage_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('from_stage_id', sa.Integer(), nullable=True),
    sa.Column('to_stage_id', sa.Integer(), nullable=False),
    sa.Column('actor_kind', sa.String(length=12), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('transition', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['application.id'], name=op.f('fk_stage_change_application_id_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_stage_id'], ['stage.id'], name=op.f('fk_stage_change_from_stage_id_stage')),
    sa.ForeignKeyConstraint(['to_stage_id'], ['stage.id'], name=op.f('fk_stage_change_to_stage_id_stage')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stage_change'))
    )
    with op.batch_alter_table('stage_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stage_change_application_id'), ['application_id'], unique=False)
    with op.batch_alter_table('interview', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_interview_stage_id_stage'), 'stage', ['stage_id'], ['id'])

    # Applications made before the history: assume they went through their opening's open
    # stages in order, up to the last open stage they were in, then to where they are.
    op.execute("""
        INSERT INTO stage_change (application_id, from_stage_id, to_stage_id, actor_kind,
                                  transition, reason, at)
        SELECT a.id, NULL, s.id, 'system', 'apply', '', a.created_at
        FROM application a
        JOIN stage cur ON cur.id = COALESCE(
            CASE WHEN (SELECT kind FROM stage WHERE id = a.stage_id) = 'open'
                 THEN a.stage_id ELSE a.last_open_stage_id END, a.stage_id)
        JOIN stage s ON s.opening_id = a.opening_id AND s.kind = 'open'
                    AND s.position <= cur.position
    """)
    op.execute("""
        INSERT INTO stage_change (application_id, from_stage_id, to_stage_id, actor_kind,
                                  transition, reason, at)
        SELECT a.id, a.last_open_stage_id, a.stage_id, 'system', 'close', '',
               COALESCE(a.closed_at, a.updated_at)
        FROM application a JOIN stage s ON s.id = a.stage_id
        WHERE s.kind <> 'open'
    """)


def downgrade():
    with op.batch_alter_table('interview', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_interview_stage_id_stage'), type_='foreignkey')
        batch_op.drop_column('stage_id')
    with op.batch_alter_table('stage_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_change_application_id'))
    op.drop_table('stage_change')
