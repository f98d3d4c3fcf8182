"""outbox messages carry extra mail headers (List-Unsubscribe on talent-pool emails)

Revision ID: c4e8a2f61d07
Revises: c3d5f7a9e1b2
Create Date: 2026-12-02 04:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e8a2f61d07'
down_revision = 'c3d5f7a9e1b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('headers', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('headers')
