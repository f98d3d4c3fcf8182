"""stage rules (a template sent on entering a stage)

Revision ID: 9c1a2b3c4d03
Revises: 9c1a2b3c4d02
Create Date: 2026-12-02 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '9c1a2b3c4d03'
down_revision = '9c1a2b3c4d02'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entry_message', sa.String(length=30), server_default='',
                                      nullable=False))
    op.create_table(
        'stage_entry_message',
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('stage_id', sa.Integer(), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['application.id'],
                                name=op.f('fk_stage_entry_message_application_id_application'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['stage_id'], ['stage.id'],
                                name=op.f('fk_stage_entry_message_stage_id_stage'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('application_id', 'stage_id', name=op.f('pk_stage_entry_message')),
    )


def downgrade():
    op.drop_table('stage_entry_message')
    with op.batch_alter_table('stage', schema=None) as batch_op:
        batch_op.drop_column('entry_message')
