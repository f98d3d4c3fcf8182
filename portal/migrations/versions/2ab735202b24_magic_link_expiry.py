"""magic link expiry

Revision ID: 2ab735202b24
Revises: 8e86bf2642fd
Create Date: 2026-11-25 20:37:27.588112

"""
from datetime import timedelta

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '2ab735202b24'
down_revision = '8e86bf2642fd'
branch_labels = None
depends_on = None


# Links issued before this column existed keep the longest life a link could have had.
DEFAULT_LIFE = timedelta(days=400)


def upgrade():
    with op.batch_alter_table('magic_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))

    links = sa.table('magic_link', sa.column('id', sa.Integer),
                     sa.column('issued_at', sa.DateTime(timezone=True)),
                     sa.column('expires_at', sa.DateTime(timezone=True)))
    bind = op.get_bind()
    for link_id, issued_at in bind.execute(sa.select(links.c.id, links.c.issued_at)).all():
        bind.execute(links.update().where(links.c.id == link_id)
                     .values(expires_at=issued_at + DEFAULT_LIFE))

    with op.batch_alter_table('magic_link', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(timezone=True),
                              nullable=False)


def downgrade():
    with op.batch_alter_table('magic_link', schema=None) as batch_op:
        batch_op.drop_column('expires_at')
