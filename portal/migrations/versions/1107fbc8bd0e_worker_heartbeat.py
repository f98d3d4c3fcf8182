"""delivery workers record each finished pass, so /metrics on any web host sees them

Revision ID: 1107fbc8bd0e
Revises: f1a3c5e7b9d2
Create Date: 2026-12-12 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1107fbc8bd0e'
down_revision = 'f1a3c5e7b9d2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('worker_heartbeat',
    sa.Column('worker_id', sa.String(length=255), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_pass_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('messages_sent', sa.Integer(), nullable=False),
    sa.Column('messages_failed', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('worker_id', name=op.f('pk_worker_heartbeat'))
    )


def downgrade():
    op.drop_table('worker_heartbeat')
