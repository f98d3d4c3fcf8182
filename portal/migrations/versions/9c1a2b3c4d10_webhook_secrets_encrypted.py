"""Webhook signing secrets encrypted at rest

Revision ID: 9c1a2b3c4d10
Revises: 9c1a2b3c4d09
Create Date: 2026-12-02 14:40:00

The plain ``secret`` column becomes ``sealed_secret``: each secret already stored is
encrypted with Fernet under the keys the app uses (``portal.webhooks.sealing``: the keys of
``CALENDAR_KEY``, then keys derived from ``SECRET_KEY`` and its fallbacks), read from the
running app's settings as ``flask db upgrade`` builds them from the environment. The
derivation is written out here, not imported, so this step stays as it was when the app
changes. The downgrade decrypts them again and refuses to run when a secret does not open.
"""
import base64
import hashlib

import sqlalchemy as sa
from alembic import op
from cryptography.fernet import Fernet, MultiFernet
from flask import current_app

# revision identifiers, used by Alembic.
revision = '9c1a2b3c4d10'
down_revision = '9c1a2b3c4d09'
branch_labels = None
depends_on = None

LABEL = b"webhook-signing-secret:"

endpoint = sa.table(
    "webhook_endpoint",
    sa.column("id", sa.Integer),
    sa.column("secret", sa.String),
    sa.column("sealed_secret", sa.Text),
)


def _fernet():
    settings = current_app.config["PORTAL"]
    derived = [base64.urlsafe_b64encode(hashlib.sha256(LABEL + key.encode()).digest())
               for key in (settings.secret_key, *settings.secret_key_fallbacks)]
    return MultiFernet([Fernet(k) for k in (*settings.calendar_keys, *derived)])


def upgrade():
    with op.batch_alter_table('webhook_endpoint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sealed_secret', sa.Text(), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.select(endpoint.c.id, endpoint.c.secret)).all()
    if rows:
        fernet = _fernet()
        for row in rows:
            conn.execute(endpoint.update().where(endpoint.c.id == row.id).values(
                sealed_secret=fernet.encrypt(row.secret.encode()).decode()))
    with op.batch_alter_table('webhook_endpoint', schema=None) as batch_op:
        batch_op.alter_column('sealed_secret', existing_type=sa.Text(), nullable=False)
        batch_op.drop_column('secret')


def downgrade():
    with op.batch_alter_table('webhook_endpoint', schema=None) as batch_op:
        batch_op.add_column(sa.Column('secret', sa.String(length=120), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.select(endpoint.c.id, endpoint.c.sealed_secret)).all()
    if rows:
        fernet = _fernet()
        for row in rows:
            # InvalidToken stops the downgrade: a secret the keys cannot open is not lost.
            conn.execute(endpoint.update().where(endpoint.c.id == row.id).values(
                secret=fernet.decrypt(row.sealed_secret.encode()).decode()))
    with op.batch_alter_table('webhook_endpoint', schema=None) as batch_op:
        batch_op.alter_column('secret', existing_type=sa.String(length=120), nullable=False)
        batch_op.drop_column('sealed_secret')
