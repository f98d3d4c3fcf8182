"""The demo has a published opening whose applications came in through its public page,
and prints the page's address."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from portal.hiring.models import Application, Opening


def test_the_demo_has_a_public_page_with_applications(app, ctx, client):
    before = app.config["PORTAL"]
    app.config["PORTAL"] = replace(before, env="demo")
    try:
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        again = app.test_cli_runner().invoke(args=["seed-demo"])
    finally:
        app.config["PORTAL"] = before
    assert result.exit_code == 0, result.output
    assert again.exit_code == 0, again.output
    opening = ctx.scalar(select(Opening).where(Opening.published.is_(True)))
    assert f"/jobs/{opening.id}" in result.output and "Public page" in result.output
    sources = ctx.scalars(select(Application.source).where(
        Application.opening_id == opening.id)).all()
    assert sources == ["public_page"] * 3
    assert client.get(f"/jobs/{opening.id}").status_code == 200
