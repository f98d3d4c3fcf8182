"""The schema lives in migrations: the head matches the models, and every migration runs
up and down, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from portal.extensions import db
from tests.conftest import PG_ADMIN_URL, make_app


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    request.getfixturevalue("pg_database")  # fails in CI, skips elsewhere, when PG is absent
    import psycopg

    name = f"portal_mig_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}".replace(
        "postgresql://", "postgresql+psycopg://", 1)
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_head_matches_models_and_every_step_goes_up_and_down(empty_url):
    app = make_app(empty_url)
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        revisions = list(script.walk_revisions("base", "heads"))
        assert revisions, "no migrations"

        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"

        # Walk every step down and up again.
        for _ in revisions:
            downgrade(revision="-1")
        fresh = create_engine(empty_url)
        try:
            tables = set(inspect(fresh).get_table_names()) - {"alembic_version"}
        finally:
            fresh.dispose()
        assert tables == set()
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"candidate", "interview", "magic_link", "outbox_message"} <= tables
        db.engine.dispose()
