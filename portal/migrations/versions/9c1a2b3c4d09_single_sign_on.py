"""Single sign-on for staff over OpenID Connect

Revision ID: 9c1a2b3c4d09
Revises: 9c1a2b3c4d08
Create Date: 2026-12-02 14:40:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '9c1a2b3c4d09'
down_revision = '9c1a2b3c4d08'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sso_provider',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('issuer', sa.String(length=500), nullable=False),
        sa.Column('client_id', sa.String(length=255), nullable=False),
        sa.Column('client_secret', sa.Text(), nullable=True),
        sa.Column('button_label', sa.String(length=80), nullable=False),
        sa.Column('default_role', sa.String(length=20), nullable=True),
        sa.Column('allowed_domains', sa.Text(), nullable=False),
        sa.Column('required', sa.Boolean(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sso_provider')),
    )
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sso_issuer', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('sso_subject', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint('uq_staff_user_sso_subject',
                                          ['sso_issuer', 'sso_subject'])


def downgrade():
    with op.batch_alter_table('staff_user', schema=None) as batch_op:
        batch_op.drop_constraint('uq_staff_user_sso_subject', type_='unique')
        batch_op.drop_column('sso_subject')
        batch_op.drop_column('sso_issuer')
    op.drop_table('sso_provider')
