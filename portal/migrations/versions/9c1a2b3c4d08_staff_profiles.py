"""Staff profiles: title and photo

Revision ID: 9c1a2b3c4d08
Revises: 9c1a2b3c4d07
Create Date: 2026-12-02 14:40:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '9c1a2b3c4d08'
down_revision = '9c1a2b3c4d07'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('title', sa.String(length=120), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('photo_key', sa.String(length=16), nullable=True))
    op.create_table(
        'staff_photo',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=16), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['staff_user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id'),
    )


def downgrade():
    op.drop_table('staff_photo')
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_column('photo_key')
        batch_op.drop_column('title')
