"""Name-like fields are one line of ordinary text: every form that takes a name, title or
round name refuses line breaks and control characters inline, in the person's language, and
every service refuses them again for callers that are not forms (the mail worker's headers
are built from these values; see tests/messaging/test_delivery_faults.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from portal.accounts.forms import UserForm
from portal.accounts.services import create_user
from portal.errors import DomainError
from portal.feedback import services as feedback
from portal.hiring import services
from portal.hiring.forms import CandidateForm, InterviewForm, OpeningForm, StageForm
from portal.hiring.models import Candidate
from portal.links.services import issue_link
from portal.references import services as references
from portal.references.forms import RefereeForm
from portal.references.models import Referee
from portal.text import has_control_chars, one_line
from tests.conftest import csrf_from
from tests.factories import (
    PASSWORD,
    CandidateFactory,
    UserFactory,
    make_application,
    make_interview,
    make_opening,
    move_to,
)

BAD = ["Anna\nAndersson", "Anna\r\nBcc: x@example.com", "Anna\rA", "Anna\tA", "Anna\x00A",
       "Anna\x1b[2J", "Anna\x85A", "Anna\u2028A", "Anna\u2029A", "Anna\x7fA"]
GOOD = ["Anna Andersson", "Åsa Öberg-Ljung", "O'Brien, Séamus", "李小龍", "Zoë (she/her)"]


@pytest.mark.parametrize("value", BAD)
def test_control_characters_are_found_and_flattened(value):
    assert has_control_chars(value)
    flat = one_line(value)
    assert not has_control_chars(flat) and flat.startswith("Anna")


@pytest.mark.parametrize("value", GOOD)
def test_ordinary_names_pass_untouched(value):
    assert not has_control_chars(value) and one_line(value) == value


FORM_FIELDS = [
    (CandidateForm, "name"), (OpeningForm, "title"), (OpeningForm, "team"),
    (StageForm, "name"), (StageForm, "public_name_en"), (StageForm, "public_name_sv"),
    (InterviewForm, "round_name"), (UserForm, "name"), (RefereeForm, "name"),
    (RefereeForm, "relation"),
]


@pytest.mark.parametrize(("form_class", "name"), FORM_FIELDS,
                         ids=[f"{c.__name__}.{n}" for c, n in FORM_FIELDS])
def test_every_name_like_form_field_refuses_a_line_break(app, form_class, name):
    with app.test_request_context(headers={"Accept-Language": "sv"}):
        form = form_class(formdata=MultiDict({name: "Anna\nAndersson"}), meta={"csrf": False})
        form.validate()
        assert "Skriv på en rad med vanlig text" in " ".join(form[name].errors)
        ok = form_class(formdata=MultiDict({name: "Anna Andersson"}), meta={"csrf": False})
        ok.validate()
        assert not any("rad" in e for e in ok[name].errors)


@pytest.fixture()
def manager(ctx):
    return UserFactory(role="recruiter")


SERVICE_CALLS = {
    "create_candidate": lambda db, actor, bad: services.create_candidate(
        db, actor, services.CandidateData(name=bad, email="new@example.com", phone="",
                                          language="sv", timezone="Europe/Stockholm")),
    "update_candidate": lambda db, actor, bad: services.update_candidate(
        db, actor, CandidateFactory(), services.CandidateData(
            name=bad, email="upd@example.com", phone="", language="sv",
            timezone="Europe/Stockholm")),
    "create_opening": lambda db, actor, bad: services.create_opening(
        db, actor, services.OpeningData(title=bad, team="", description="", language="sv")),
    "update_opening": lambda db, actor, bad: services.update_opening(
        db, actor, make_opening(actor), services.OpeningData(
            title="Ok", team=bad, description="", language="sv")),
    "rename_stage": lambda db, actor, bad: services.rename_stage(
        db, actor, make_opening(actor).stages[0], "Applied", bad, "Sökt"),
    "schedule": lambda db, actor, bad: make_interview(actor, round_name=bad),
    "create_user": lambda db, actor, bad: create_user(
        db, email="new.staff@example.com", name=bad, password=PASSWORD, role="recruiter"),
    "save_competency": lambda db, actor, bad: feedback.save_competency(
        db, actor, feedback.create_starter_kit(db, actor, make_opening(actor)), None,
        feedback.CompetencyData(name=bad, description="", weight=3,
                                anchors=["a", "b", "c", "d"], questions=[])),
}


@pytest.mark.parametrize("call", SERVICE_CALLS, ids=list(SERVICE_CALLS))
def test_every_service_that_stores_a_name_refuses_control_characters(ctx, manager, call):
    with pytest.raises(DomainError) as raised:
        SERVICE_CALLS[call](ctx, manager, "Anna\r\nBcc: x@example.com")
    assert "one line of ordinary text" in str(raised.value.message)
    ctx.rollback()


def test_the_referee_service_refuses_control_characters(ctx, settings, manager):
    application = make_application(manager)
    move_to(manager, application, next(
        s for s in application.opening.stages if s.name == "References"))
    for field in ("name", "relation"):
        data = {"name": "Maja Manager", "relation": "My manager", "email": "maja@example.com",
                "phone": "", "language": "sv", "consent": True, field: "Maja\nManager"}
        with pytest.raises(DomainError) as raised:
            references.add_referee(ctx, application.candidate, application,
                                   references.RefereeData(**data))
        assert raised.value.field == field


def test_staff_adding_a_candidate_with_a_line_break_gets_it_inline_in_swedish(app, ctx,
                                                                              client, login):
    UserFactory(email="rec@example.com", role="recruiter", language="sv")
    ctx.commit()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "sv"
    login("rec@example.com", PASSWORD)
    token = csrf_from(client.get("/staff/candidates/new").text)
    response = client.post("/staff/candidates/new", data={
        "csrf_token": token, "name": "Sara\r\nSvensson", "email": "sara@example.com",
        "language": "sv", "timezone": "Europe/Stockholm"})
    assert response.status_code == 422
    assert "Skriv på en rad med vanlig text" in response.text
    assert ctx.scalar(select(Candidate.id).where(Candidate.email == "sara@example.com")) is None


def test_a_candidate_naming_a_referee_with_a_line_break_is_told_inline(app, ctx, client,
                                                                       settings):
    recruiter = UserFactory(role="recruiter")
    application = make_application(recruiter, CandidateFactory(language="en"))
    move_to(recruiter, application, next(
        s for s in application.opening.stages if s.name == "References"))
    _link, token = issue_link(ctx, settings, application.candidate)
    ctx.commit()
    client.get(f"/c/{token}")
    page = client.get(f"/portal/applications/{application.id}")
    response = client.post(f"/portal/applications/{application.id}/referees", data={
        "csrf_token": csrf_from(page.text), "name": "Maja\nManager",
        "relation": "My manager at Acme", "email": "maja@example.com", "phone": "",
        "language": "sv", "consent": "y"})
    assert response.status_code == 422
    assert "Use one line of ordinary text" in response.text
    assert ctx.scalar(select(Referee.id)) is None
