"""``flask seed-demo`` refuses to run in production: it would create an admin with a printed
password, print every candidate's sign-in link, and reset the demo accounts' passwords."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.demo import STAFF_EMAIL
from portal.hiring.models import Candidate
from portal.links.models import MagicLink


def _run(app, env, *args):
    before = app.config["PORTAL"]
    app.config["PORTAL"] = replace(before, env=env)
    try:
        return app.test_cli_runner().invoke(args=["seed-demo", *args])
    finally:
        app.config["PORTAL"] = before


def _counts(ctx):
    ctx.expire_all()
    return [ctx.scalar(select(func.count(model.id))) for model in (User, Candidate, MagicLink)]


@pytest.mark.parametrize("env", ["production", "staging"])
@pytest.mark.parametrize("args", [(), ("--json",)])
def test_refused_outside_demo_and_development(app, ctx, env, args):
    result = _run(app, env, *args)
    assert result.exit_code != 0
    assert "seed-demo runs only with PORTAL_ENV=demo" in result.output
    assert "/c/" not in result.output and STAFF_EMAIL not in result.output
    assert _counts(ctx) == [0, 0, 0]


def test_a_second_run_in_production_leaves_the_demo_passwords_alone(app, ctx):
    assert _run(app, "demo").exit_code == 0
    before = _counts(ctx)
    password_hash = ctx.scalar(select(User.password_hash).where(User.email == STAFF_EMAIL))
    result = _run(app, "production", "--json")
    assert result.exit_code != 0
    assert _counts(ctx) == before
    assert ctx.scalar(select(User.password_hash).where(User.email == STAFF_EMAIL)) == (
        password_hash)


@pytest.mark.parametrize("env", ["demo", "development", "test"])
def test_allowed_in_demo_development_and_test(app, ctx, env):
    result = _run(app, env, "--json")
    assert result.exit_code == 0, result.output
    assert '"password"' in result.output
