"""outbox messages keep one Message-ID for every delivery attempt

Revision ID: e7b2d4f8a1c3
Revises: c4e8a2f61d07
Create Date: 2026-12-10 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7b2d4f8a1c3'
down_revision = 'c4e8a2f61d07'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('message_id', sa.String(length=250), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox_message', schema=None) as batch_op:
        batch_op.drop_column('message_id')
