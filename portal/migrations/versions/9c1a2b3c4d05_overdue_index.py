"""an index for "answer overdue": open applications by the date their next step is due

Revision ID: 9c1a2b3c4d05
Revises: 8b2e4d6f8a01
Create Date: 2026-12-02 10:10:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '9c1a2b3c4d05'
down_revision = '8b2e4d6f8a01'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_application_open_next_step_by", "application", ["next_step_by"],
                    postgresql_where=sa.text("closed_at IS NULL"),
                    sqlite_where=sa.text("closed_at IS NULL"))


def downgrade():
    op.drop_index("ix_application_open_next_step_by", table_name="application")
