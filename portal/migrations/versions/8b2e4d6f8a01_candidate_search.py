"""candidate search: a full-text index over candidates, their applications, notes and CVs

Revision ID: 8b2e4d6f8a01
Revises: 8a1f3c5e7d90
Create Date: 2026-12-02 08:30:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '8b2e4d6f8a01'
down_revision = '8a1f3c5e7d90'
branch_labels = None
depends_on = None


def upgrade():
    # The full-text index over candidates (kept in step by portal.hiring.search).
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TABLE candidate_search (candidate_id INTEGER PRIMARY KEY REFERENCES "
                   "candidate(id) ON DELETE CASCADE, doc TSVECTOR NOT NULL)")
        op.execute("CREATE INDEX ix_candidate_search_doc ON candidate_search USING GIN (doc)")
    else:
        op.execute("CREATE VIRTUAL TABLE candidate_search USING fts5(name, email, openings, "
                   "stages, notes, cv, tokenize = 'unicode61 remove_diacritics 2', "
                   "prefix = '2 3')")
    # The entries for the candidates already there are written by the newest migration
    # that changes what the index holds (9c1a2b3c4d04), with every indexed column present.


def downgrade():
    op.execute("DROP TABLE IF EXISTS candidate_search")
