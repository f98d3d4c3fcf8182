"""panel members carry when they were last reminded of a missing scorecard (the worker
claims each reminder by setting it, so several workers send it once)

Revision ID: f1a3c5e7b9d2
Revises: 015fd74da9f2
Create Date: 2026-12-03 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f1a3c5e7b9d2'
down_revision = '015fd74da9f2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('interview_interviewer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scorecard_reminded_at', sa.DateTime(timezone=True),
                                      nullable=True))
    # Reminders already sent count: nobody is reminded again the day this is deployed.
    op.execute(
        "UPDATE interview_interviewer SET scorecard_reminded_at = ("
        " SELECT max(o.created_at) FROM outbox_message o"
        " JOIN staff_user u ON u.email = o.to_email"
        " WHERE o.kind = 'scorecard_reminder'"
        " AND o.interview_id = interview_interviewer.interview_id"
        " AND u.id = interview_interviewer.user_id)")


def downgrade():
    with op.batch_alter_table('interview_interviewer', schema=None) as batch_op:
        batch_op.drop_column('scorecard_reminded_at')
