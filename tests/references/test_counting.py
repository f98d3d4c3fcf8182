"""Staff count and read references as they stand: a referee whose consent was withdrawn is
not counted in the comparison."""

from __future__ import annotations

from sqlalchemy import select

from portal.accounts.models import User
from portal.links.services import issue_link
from portal.references.models import Referee
from tests.conftest import csrf_from
from tests.feedback.test_views import (
    _form,
    client_for,
    world,  # noqa: F401  (the fixture)
)
from tests.references.test_references import _add, _to_references


def test_withdrawn_referees_are_not_counted_in_the_comparison(app, ctx, client, world):  # noqa: F811
    kit, interview = world["kit"], world["interview"]
    url = f"/staff/interviews/{interview.id}/scorecard"
    anna = client_for(app, "anna@example.com")
    anna.post(url, data=_form(kit, 4, csrf_from(anna.get(url).text), "submit"))
    application = interview.application
    recruiter = ctx.scalar(select(User).where(User.email == "rec@example.com"))
    _to_references(ctx, recruiter, application)
    _l, token = issue_link(ctx, app.config["PORTAL"], application.candidate)
    ctx.commit()
    client.get(f"/c/{token}")
    assert _add(client, application).status_code == 303
    assert _add(client, application, name="Olle Other",
                email="olle@example.com").status_code == 303
    olle = ctx.scalar(select(Referee.id).where(Referee.email == "olle@example.com"))
    withdrawn = client.post(f"/portal/referees/{olle}/withdraw",
                            data={"csrf_token": csrf_from(client.get("/portal/").text),
                                  "confirm": "y"})
    assert withdrawn.status_code == 303

    rec = client_for(app, "rec@example.com")
    page = rec.get(f"/staff/openings/{world['opening'].id}/compare").text
    assert "0 of 1 answered" in page
