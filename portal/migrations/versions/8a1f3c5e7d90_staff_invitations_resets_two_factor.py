"""staff accounts: invitations and password resets by single-use links

Revision ID: 8a1f3c5e7d90
Revises: 7e2c9a4f1b58
Create Date: 2026-12-02 08:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '8a1f3c5e7d90'
down_revision = '7e2c9a4f1b58'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'staff_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=10), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'],
                                name=op.f('fk_staff_token_user_id_staff_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_token')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_staff_token_token_hash')),
    )
    with op.batch_alter_table('staff_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_token_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('staff_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_token_user_id'))
    op.drop_table('staff_token')
