"""Branding: the organisation's name, logo, colour, sign-off and contact; per-opening brands

Revision ID: 9c1a2b3c4d07
Revises: 9c1a2b3c4d06
Create Date: 2026-12-02 14:40:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '9c1a2b3c4d07'
down_revision = '9c1a2b3c4d06'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('brand',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('logo', sa.LargeBinary(), nullable=True),
    sa.Column('logo_type', sa.String(length=40), server_default='', nullable=False),
    sa.Column('logo_hash', sa.String(length=16), server_default='', nullable=False),
    sa.Column('accent', sa.String(length=7), server_default='', nullable=False),
    sa.Column('sign_off_sv', sa.Text(), server_default='', nullable=False),
    sa.Column('sign_off_en', sa.Text(), server_default='', nullable=False),
    sa.Column('contact_name', sa.String(length=120), server_default='', nullable=False),
    sa.Column('contact_email', sa.String(length=254), server_default='', nullable=False),
    sa.Column('contact_phone', sa.String(length=40), server_default='', nullable=False),
    sa.Column('is_default', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_brand'))
    )
    with op.batch_alter_table('brand', schema=None) as batch_op:
        batch_op.create_index('uq_brand_default', ['is_default'], unique=True,
                              sqlite_where=sa.text('is_default'),
                              postgresql_where=sa.text('is_default'))

    with op.batch_alter_table('opening', schema=None) as batch_op:
        batch_op.add_column(sa.Column('brand_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_opening_brand_id_brand'), 'brand',
                                    ['brand_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('opening', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_opening_brand_id_brand'), type_='foreignkey')
        batch_op.drop_column('brand_id')

    with op.batch_alter_table('brand', schema=None) as batch_op:
        batch_op.drop_index('uq_brand_default', sqlite_where=sa.text('is_default'),
                            postgresql_where=sa.text('is_default'))

    op.drop_table('brand')
