"""Importing candidates from a CSV file: a preview with every row's problems, then all
rows or none."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from portal.hiring.models import Candidate
from portal.intake import csvimport
from portal.messaging.models import OutboxMessage
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application, make_opening
from tests.feedback.test_views import client_for


@pytest.fixture()
def setup(client, ctx):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    opening = make_opening(recruiter, "Support")
    ctx.commit()
    return client_for(client.application, "rec@example.com"), opening


def _preview(staff, opening, content: bytes):
    page = staff.get(f"/staff/openings/{opening.id}/import")
    return staff.post(f"/staff/openings/{opening.id}/import", data={
        "csrf_token": csrf_from(page.text), "action": "preview",
        "file": (io.BytesIO(content), "people.csv")}, content_type="multipart/form-data")


def _import(staff, opening, preview_page, invite=True):
    content = preview_page.text.split('name="content" type="hidden" value="', 1)[1]
    import html

    content = html.unescape(content.split('"', 1)[0])
    data = {"csrf_token": csrf_from(preview_page.text), "action": "import", "content": content}
    if invite:
        data["invite"] = "y"
    return staff.post(f"/staff/openings/{opening.id}/import", data=data)


def test_semicolons_with_a_bom_import_all_rows(setup, ctx):
    staff, opening = setup
    known = CandidateFactory(email="known@example.com")
    ctx.commit()
    content = ("\ufeffnamn;e-post;telefon;språk;anteckning\n"
               "Åsa Öberg;asa@example.com;070-1;sv;Träffades på mässan\n"
               "Known Person;KNOWN@example.com;;en;\n").encode()
    preview = _preview(staff, opening, content)
    assert preview.status_code == 200, preview.text
    assert "Åsa Öberg" in preview.text
    assert "Already a candidate: will be added to this opening" in preview.text
    done = _import(staff, opening, preview)
    assert done.status_code == 303
    ctx.expire_all()
    asa = ctx.scalar(select(Candidate).where(Candidate.email == "asa@example.com"))
    assert asa.language == "sv" and asa.applications[0].source == "import"
    assert asa.applications[0].stage_id == opening.stages[0].id
    assert ctx.get(Candidate, known.id).applications[0].opening_id == opening.id
    mails = ctx.scalars(select(OutboxMessage.to_email).where(
        OutboxMessage.kind == "candidate_application")).all()
    assert sorted(mails) == ["asa@example.com", "known@example.com"]
    from portal.hiring.conversation import StaffNote

    assert ctx.scalar(select(StaffNote.body).where(StaffNote.candidate_id == asa.id)) == (
        "Träffades på mässan")


def test_commas_without_bom_and_no_invitations(setup, ctx):
    staff, opening = setup
    content = b"name,email,phone,language\nBo Ek,bo@example.com,,en\n"
    done = _import(staff, opening, _preview(staff, opening, content), invite=False)
    assert done.status_code == 303
    assert ctx.scalar(select(func.count(Candidate.id))) == 1
    assert ctx.scalar(select(func.count(OutboxMessage.id))) == 0


def test_every_row_problem_is_shown_and_nothing_is_imported(setup, ctx):
    staff, opening = setup
    other = CandidateFactory(email="inside@example.com")
    make_application(UserFactory(role="recruiter"), other, opening)
    ctx.commit()
    content = ("name,email,phone,language,note\n"
               "Good Row,good@example.com,,sv,\n"
               ",noname@example.com,,sv,\n"
               "No Mail,,,sv,\n"
               "Bad Mail,not-an-address,,sv,\n"
               "Twice,good@example.com,,sv,\n"
               "Odd Lang,lang@example.com,,de,\n"
               f"{'L' * 130},long@example.com,,en,\n"
               "Inside,inside@example.com,,en,\n").encode()
    preview = _preview(staff, opening, content)
    assert preview.status_code == 422
    for says in ("The name is missing", "The email address is missing",
                 "is not a valid email address", "The same email address as row 2",
                 "The language must be sv or en", "The name is too long",
                 "Already in this opening: skipped"):
        assert says in preview.text, says
    assert 'name="content"' not in preview.text  # no import button
    # Posting the text anyway (a forged form) imports nothing either.
    refused = staff.post(f"/staff/openings/{opening.id}/import", data={
        "csrf_token": csrf_from(preview.text), "action": "import",
        "content": content.decode()})
    assert refused.status_code == 422 and "Nothing was imported" in refused.text
    assert ctx.scalar(select(func.count(Candidate.id))) == 1


def test_file_level_problems(setup, ctx):
    staff, opening = setup
    assert "not UTF-8" in _preview(staff, opening, "namn;e-post\nÅsa;a@b.se\n".encode(
        "latin-1")).text
    assert "Missing: email" in _preview(staff, opening, b"name,mail\nA,b@c.se\n").text
    assert "larger than" in _preview(staff, opening, b"x" * (csvimport.MAX_BYTES + 10)).text
    many = "name,email\n" + "".join(f"P{n},p{n}@example.com\n"
                                    for n in range(csvimport.MAX_ROWS + 1))
    assert "more than" in _preview(staff, opening, many.encode()).text
    assert "The file is empty" in _preview(staff, opening, b"").text
    assert ctx.scalar(select(func.count(Candidate.id))) == 0


def test_interviewers_cannot_import(client, ctx, setup):
    _staff, opening = setup
    UserFactory(email="int@example.com", role="interviewer")
    ctx.commit()
    other = client_for(client.application, "int@example.com")
    assert other.get(f"/staff/openings/{opening.id}/import").status_code == 403
