"""The public page of an opening: applying without a recruiter, and what keeps spam and
guessing out."""

from __future__ import annotations

import io
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import limiter
from portal.hiring.models import Application, Candidate, StageKind
from portal.intake import public
from portal.messaging.models import OutboxMessage
from portal.privacy.models import AuditEvent, NoticeConsent
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application, make_opening, move_to
from tests.feedback.test_views import client_for
from tests.pool.helpers import pdf_with


@pytest.fixture()
def opening(ctx):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    item = make_opening(recruiter, "Data engineer")
    item.description = "Build pipelines with us."
    item.published = True
    ctx.commit()
    return item


def _form(client, opening_id, **fields):
    """The page's form filled in, its time stamp a minute old (a person's pace)."""
    page = client.get(f"/jobs/{opening_id}")
    assert page.status_code == 200
    data = {"csrf_token": csrf_from(page.text), "name": "Alva Berg",
            "email": "alva@example.com", "phone": "070-123 45 67", "consent": "y",
            "website": "", "stamp": public.form_stamp(
                client.application.config["PORTAL"], opening_id, at=time.time() - 60),
            "cv": (io.BytesIO(pdf_with("Alva Berg data engineer")), "alva-cv.pdf")}
    data.update(fields)
    return data


def _send(client, opening_id, **fields):
    return client.post(f"/jobs/{opening_id}", data=_form(client, opening_id, **fields),
                        content_type="multipart/form-data")


def test_a_person_applies_and_gets_their_portal_link(client, ctx, opening):
    response = _send(client, opening.id)
    assert response.status_code == 303
    thanks = client.get(response.headers["Location"])
    assert "What happens next" in thanks.text
    ctx.expire_all()
    person = ctx.scalar(select(Candidate).where(Candidate.email == "alva@example.com"))
    application = person.applications[0]
    assert application.stage_id == opening.stages[0].id
    assert application.source == "public_page"
    assert application.cv_name == "alva-cv.pdf"
    assert public.cv_path(client.application.config["PORTAL"], application.cv_key).is_file()
    consent = ctx.scalar(select(NoticeConsent).where(NoticeConsent.candidate_id == person.id))
    assert consent.text_version == public.NOTICE_VERSION and consent.language == "en"
    assert consent.application_id == application.id
    mail = ctx.scalar(select(OutboxMessage).where(OutboxMessage.to_email == "alva@example.com"))
    assert mail.kind == "candidate_application" and "Data engineer" in mail.subject
    assert "/c/" in mail.text_body
    # The link in the email opens the candidate portal.
    link = mail.text_body.split("http://", 1)[1].split()[0]
    opened = client.get("/" + link.split("/", 1)[1])
    assert opened.status_code == 303 and "/portal" in opened.headers["Location"]
    # The recruiter finds them with the source filter.
    staff = client_for(client.application, "rec@example.com")
    found = staff.get("/staff/candidates?source=public_page")
    assert "Alva Berg" in found.text
    assert "Alva Berg" not in staff.get("/staff/candidates?source=import").text
    # The recruiter reads the CV that came with it (and the read is audited).
    cv = staff.get(f"/staff/applications/{application.id}/cv")
    assert cv.status_code == 200 and cv.data.startswith(b"%PDF-")
    cv.close()
    assert ctx.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "cv_downloaded", AuditEvent.candidate_id == person.id)) == 1
    assert "Public page" in staff.get(f"/staff/candidates/{person.id}").text


def test_the_page_speaks_swedish_and_has_what_a_phone_needs(client, opening):
    page = client.get(f"/jobs/{opening.id}", headers={"Accept-Language": "sv"})
    assert 'lang="sv"' in page.text and "Sök jobbet" in page.text
    assert "Build pipelines with us." in page.text
    assert 'name="viewport"' in page.text
    assert 'tabindex="-1"' in page.text and 'autocomplete="off"' in page.text
    assert 'aria-hidden="true"' in page.text
    assert "/jobs/privacy" in page.text
    # The switch changes the language and comes back to the same page.
    switched = client.post("/language", data={"lang": "en", "next": f"/jobs/{opening.id}",
                                              "csrf_token": csrf_from(page.text)})
    assert switched.status_code == 303 and switched.headers["Location"].endswith(
        f"/jobs/{opening.id}")
    english = client.get(f"/jobs/{opening.id}", headers={"Accept-Language": "sv"})
    assert 'lang="en"' in english.text and "Apply for the job" in english.text


def test_an_unpublished_or_archived_opening_has_no_page(client, ctx, opening):
    opening.published = False
    ctx.commit()
    assert client.get(f"/jobs/{opening.id}").status_code == 404
    assert client.get("/jobs/999999").status_code == 404
    opening.published, opening.archived = True, True
    ctx.commit()
    assert client.get(f"/jobs/{opening.id}").status_code == 404
    assert client.get("/jobs/anything-else").status_code == 404


def test_the_recruiter_publishes_from_the_opening_form(client, ctx):
    recruiter = UserFactory(email="pub@example.com", role="recruiter")
    item = make_opening(recruiter, "Tester")
    ctx.commit()
    staff = client_for(client.application, "pub@example.com")
    assert client.get(f"/jobs/{item.id}").status_code == 404
    form = staff.get(f"/staff/openings/{item.id}/edit")
    assert 'name="published"' in form.text
    saved = staff.post(f"/staff/openings/{item.id}/edit", data={
        "csrf_token": csrf_from(form.text), "title": "Tester", "team": "", "description": "",
        "language": "en", "response_days": "5", "reference_questions": "", "recruiter_id": "",
        "published": "y"})
    assert saved.status_code == 303
    assert client.get(f"/jobs/{item.id}").status_code == 200


def test_a_filled_honeypot_stores_and_sends_nothing(client, ctx, opening):
    response = _send(client, opening.id, website="http://spam.example")
    assert response.status_code == 303  # the same answer a person gets
    assert ctx.scalar(select(func.count(Candidate.id))) == 0
    assert ctx.scalar(select(func.count(OutboxMessage.id))) == 0


def test_too_fast_and_too_old_are_refused_kindly(client, ctx, opening):
    settings = client.application.config["PORTAL"]
    fast = _send(client, opening.id, stamp=public.form_stamp(settings, opening.id))
    assert fast.status_code == 422 and "very quick" in fast.text
    old = _send(client, opening.id, stamp=public.form_stamp(
        settings, opening.id, at=time.time() - public.MAX_SECONDS - 10))
    assert old.status_code == 422 and "open for a long time" in old.text
    forged = _send(client, opening.id, stamp="x" + public.form_stamp(settings, opening.id))
    assert forged.status_code == 422
    other = _send(client, opening.id, stamp=public.form_stamp(settings, opening.id + 1,
                                                               at=time.time() - 60))
    assert other.status_code == 422
    assert ctx.scalar(select(func.count(Candidate.id))) == 0


def test_rate_limits_per_address_and_per_email(client, ctx, opening):
    for n in range(5):
        assert _send(client, opening.id, email=f"p{n}@example.com").status_code == 303
    assert _send(client, opening.id, email="p9@example.com").status_code == 429
    # Another address, the same email: the email's own limit.
    other = client.application.test_client()
    other.environ_base.update({"HTTP_ACCEPT_LANGUAGE": "en", "REMOTE_ADDR": "10.9.9.9"})
    codes = [_send(other, opening.id, email="same@example.com").status_code for _ in range(6)]
    assert codes[:5] == [303] * 5 and codes[5] == 429


@pytest.mark.parametrize(("content", "name", "says"), [
    (b"hello, not a pdf", "cv.pdf", "not a PDF"),
    (b"", "cv.pdf", "file is empty"),
    (b"%PDF-1.7\n" + b"garbage " * 100, "cv.pdf", "could not be read"),
    (b"%PDF-1.7", "../../etc/cv.pdf", "file name is not allowed"),
])
def test_a_bad_cv_is_refused_inline(client, ctx, opening, content, name, says):
    response = _send(client, opening.id, cv=(io.BytesIO(content), name))
    assert response.status_code == 422
    assert says in response.text and 'id="cv-error"' in response.text
    assert 'aria-describedby="cv-error' in response.text
    assert ctx.scalar(select(func.count(Candidate.id))) == 0


def test_missing_fields_are_marked_and_linked(client, ctx, opening):
    response = _send(client, opening.id, name="", email="not-an-address", consent="")
    assert response.status_code == 422
    for field in ("name", "email", "consent"):
        assert f'id="{field}-error"' in response.text
        assert f'aria-describedby="{field}-error' in response.text
    assert ctx.scalar(select(func.count(Candidate.id))) == 0


def _outside_view(response, client):
    """The answer page as the person sees it (the CSRF token, different each second, left
    out)."""
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).text
    return re.sub(r'(name="csrf[-_]token"[^>]*(?:value|content)=)"[^"]*"', r"\1", page)


def test_an_open_application_again_looks_the_same_outside_and_is_flagged(client, ctx, opening):
    fresh = _outside_view(_send(client, opening.id, email="new@example.com"), client)
    owner = UserFactory(role="recruiter")
    known = CandidateFactory(email="known@example.com", name="Known Person", language="sv")
    application = make_application(owner, known, opening)
    ctx.commit()
    again = _outside_view(_send(client, opening.id, email="Known@Example.com",
                                name="Someone Else"), client)
    assert again == fresh
    ctx.expire_all()
    application = ctx.get(Application, application.id)
    assert application.flag == "again_open" and application.flagged_at is not None
    assert ctx.get(Candidate, known.id).name == "Known Person"  # nothing overwritten
    assert len(ctx.get(Candidate, known.id).applications) == 1
    mail = ctx.scalar(select(OutboxMessage).where(OutboxMessage.to_email == "known@example.com"))
    assert "redan en ansökan" in mail.text_body  # in the language on file
    staff = client_for(client.application, "rec@example.com")
    page = staff.get(f"/staff/candidates/{known.id}")
    assert "Applied again on the public page while this process was open" in page.text
    board = staff.get(f"/staff/openings/{opening.id}")
    assert "Applied again on the public page while this process was open" in board.text


def test_a_recent_rejection_looks_the_same_outside_and_is_flagged(client, ctx, opening):
    fresh = _outside_view(_send(client, opening.id, email="new@example.com"), client)
    owner = UserFactory(role="recruiter")
    known = CandidateFactory(email="turned@example.com")
    application = make_application(owner, known, opening)
    move_to(owner, application, next(s for s in opening.stages
                                     if s.kind == StageKind.NOT_SELECTED))
    ctx.commit()
    again = _outside_view(_send(client, opening.id, email="turned@example.com"), client)
    assert again == fresh
    ctx.expire_all()
    application = ctx.get(Application, application.id)
    assert application.flag == "again_rejected" and application.is_closed
    mail = ctx.scalar(select(OutboxMessage).where(OutboxMessage.to_email == "turned@example.com",
                                                  OutboxMessage.kind == "candidate_application"))
    assert "decision stands" in mail.text_body and "/c/" not in mail.text_body
    # Long ago is not "lately".
    application.closed_at -= timedelta(days=31 * 7)
    ctx.commit()
    _send(client, opening.id, email="turned@example.com")
    ctx.expire_all()
    assert ctx.get(Application, application.id).flag == "again_closed"


def test_an_existing_candidate_applying_to_a_new_opening_gets_it(client, ctx, opening):
    known = CandidateFactory(email="known2@example.com", name="On File")
    ctx.commit()
    _send(client, opening.id, email="known2@example.com", name="Typed Name")
    ctx.expire_all()
    person = ctx.get(Candidate, known.id)
    assert person.name == "On File" and len(person.applications) == 1
    assert person.applications[0].source == "public_page"
    assert ctx.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "applied_public")) == 1


def test_odd_input_never_breaks_the_page(client, ctx, opening):
    for fields in ({"name": "A\nB"}, {"email": "x" * 400 + "@example.com"},
                   {"phone": "1" * 100}, {"name": "\u202e" * 3000}, {"stamp": ""},
                   {"consent": "maybe"}, {"cv": (io.BytesIO(b"%PDF-"), "x" * 300 + ".pdf")}):
        limiter.reset()
        response = _send(client, opening.id, **fields)
        assert response.status_code in (303, 422), fields
    assert client.post(f"/jobs/{opening.id}", data={}).status_code in (400, 422)


def test_erasing_the_candidate_takes_the_cv_with_it(client, ctx, settings, opening):
    from portal.process import lifecycle

    _send(client, opening.id)
    ctx.expire_all()
    person = ctx.scalar(select(Candidate).where(Candidate.email == "alva@example.com"))
    application = person.applications[0]
    path = public.cv_path(settings, application.cv_key)
    assert path.is_file()
    lifecycle.erase(ctx, settings, person)
    ctx.commit()
    ctx.expire_all()
    assert not path.exists()
    assert ctx.get(Application, application.id).cv_key is None
    assert ctx.get(Application, application.id).cv_name == ""


def test_two_sends_at_once_make_one_candidate_and_one_application(app, ctx, settings, opening):
    """A double click: both sends arrive together; one candidate and one application come
    of it, and the second is taken as applying again."""
    import threading

    from portal.extensions import db

    barrier, kinds = threading.Barrier(2), []

    def send() -> None:
        with app.app_context():
            item = db.session.get(type(opening), opening.id)
            barrier.wait()
            try:
                kinds.append(public.apply_publicly(db.session, settings, item,
                                                   public.PublicApplication(
                    name="Alva Berg", email="twice@example.com", phone="", language="en",
                    consent=True, cv_name="cv.pdf", cv_stream=io.BytesIO(pdf_with("CV")))))
                db.session.commit()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(kinds) == ["again_open", "new"]
    ctx.expire_all()
    assert ctx.scalar(select(func.count(Candidate.id))) == 1
    assert ctx.scalar(select(func.count(Application.id))) == 1
