"""public application pages, application sources and merged candidates

Revision ID: 9c1a2b3c4d04
Revises: 9c1a2b3c4d03
Create Date: 2026-12-02 10:00:00

"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

# revision identifiers, used by Alembic.
revision = '9c1a2b3c4d04'
down_revision = '9c1a2b3c4d03'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('opening', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=20), server_default='staff',
                                      nullable=False))
        batch_op.add_column(sa.Column('flag', sa.String(length=40), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('flagged_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('cv_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('cv_name', sa.String(length=200), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('cv_size', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('cv_text', sa.Text(), server_default='',
                                      nullable=False))
        batch_op.create_index(batch_op.f('ix_application_source'), ['source'], unique=False)
    op.create_table(
        'notice_consent',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('candidate_id', sa.Integer(), nullable=False),
        sa.Column('application_id', sa.Integer(), nullable=True),
        sa.Column('text_version', sa.String(length=40), nullable=False),
        sa.Column('language', sa.String(length=2), nullable=False),
        sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['application.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['candidate_id'], ['candidate.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('notice_consent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_consent_candidate_id'), ['candidate_id'],
                              unique=False)
    # The search index again, now that it reads staff notes and CVs sent with applications.
    # (Keep this at the newest migration that changes what the index reads.)
    from sqlalchemy.orm import Session

    from portal.hiring.search import rebuild

    with Session(bind=op.get_bind()) as session:
        rebuild(session)
        session.flush()


def downgrade():
    with op.batch_alter_table('notice_consent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_consent_candidate_id'))
    op.drop_table('notice_consent')
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_source'))
        batch_op.drop_column('cv_text')
        batch_op.drop_column('cv_size')
        batch_op.drop_column('cv_name')
        batch_op.drop_column('cv_key')
        batch_op.drop_column('flagged_at')
        batch_op.drop_column('flag')
        batch_op.drop_column('source')
    with op.batch_alter_table('opening', schema=None) as batch_op:
        batch_op.drop_column('published')
