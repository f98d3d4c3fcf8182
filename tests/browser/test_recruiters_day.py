"""A recruiter's day, end to end in a real Chromium: a person applies on the public page
from a phone, the recruiter finds her by a word in her CV, drags her to Interview with the
mouse and moves another candidate with the keyboard, turns three down at once with a
Swedish template, and writes to her; she answers in the portal and the recruiter sees it.
The mail goes through the worker to a real SMTP server on loopback."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from portal.decisions import services as ds
from portal.hiring.models import Application, Candidate
from portal.messaging.worker import run_once
from tests.browser.pages import PublicApplyPage, StaffPages
from tests.factories import PASSWORD, CandidateFactory, UserFactory, make_application, make_opening
from tests.pool.helpers import pdf_with

pytestmark = pytest.mark.browser

SWEDISH = {"name": "Ditt namn", "email": "Din e-postadress", "cv": "Ditt cv (pdf, högst 10 MB)",
           "consent": "Jag har läst integritetsmeddelandet", "send": "Skicka min ansökan"}


def _stage(opening, name):
    return next(s for s in opening.stages if s.name == name)


def _plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_a_recruiters_day(app, ctx, browser: Browser, live_server, smtp_server, tmp_path):
    recruiter = UserFactory(email="maria@example.com", role="recruiter", name="Maria Lind")
    opening = make_opening(recruiter, "Kundtjänstmedarbetare")
    opening.description = "Du hjälper våra kunder på telefon och i chatt."
    opening.published = True
    opening.recruiter_id = recruiter.id  # as the opening form fills it in: its creator
    others = [make_application(recruiter, CandidateFactory(
        name=f"Sökande {n}", email=f"sokande{n}@example.com", language="sv"), opening)
        for n in range(4)]
    ctx.commit()
    interview, screening = _stage(opening, "Interview"), _stage(opening, "Screening")
    cv = tmp_path / "sara-cv.pdf"
    cv.write_bytes(pdf_with("Sara Lund fjällräddare kundtjänst Kiruna"))

    # A person applies on the public page from a phone.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="sv",
                                has_touch=True, is_mobile=True,
                                extra_http_headers={"Accept-Language": "sv"})
    sara_page = phone.new_page()
    applicant = PublicApplyPage(sara_page, live_server.url)
    applicant.open(opening.id)
    applicant.apply(name="Sara Lund", email="sara@example.com", cv_path=str(cv), labels=SWEDISH)
    expect(sara_page.get_by_role("heading", name="Tack för din ansökan")).to_be_visible()
    ctx.expire_all()
    sara = ctx.scalar(select(Application).join(Candidate).where(
        Candidate.email == "sara@example.com"))
    assert sara.opening_id == opening.id and sara.source == "public_page"

    # The recruiter finds her by a word in her CV, live, with the address kept in step.
    desk = browser.new_context(viewport={"width": 1366, "height": 800}, locale="en-GB")
    page = desk.new_page()
    StaffPages(page, live_server.url).login("maria@example.com", PASSWORD)
    page.goto(f"{live_server.url}/staff/candidates")
    page.locator("#q").fill("fjällräddare")
    results = page.locator("#candidate-results")
    expect(results).to_contain_text("Sara Lund")
    expect(results).not_to_contain_text("Sökande 0")
    expect(page).to_have_url(re.compile(r"q=fj"))

    # She goes to Interview with the mouse; Sökande 0 to Screening with the keyboard.
    page.goto(f"{live_server.url}/staff/openings/{opening.id}")
    page.locator(f"#app-{sara.id}").drag_to(page.locator(f"#col-{interview.id}"),
                                            source_position={"x": 4, "y": 4})
    expect(page.locator(f"#cards-{interview.id} #app-{sara.id}")).to_be_visible()
    expect(page.locator("#board-status")).to_have_text("Sara Lund moved to Interview")
    # Focus follows the moved card once the swap has settled, then goes where she wants.
    expect(page.locator(f"#app-{sara.id} .lift")).to_be_focused()
    page.locator(f"#app-{others[0].id} .lift").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(page.locator(f"#cards-{screening.id} #app-{others[0].id}")).to_be_visible()
    expect(page.locator("#board-status")).to_have_text("Sökande 0 moved to Screening")

    # Three turned down at once, each with the Swedish template, after a preview.
    for application in others[1:]:
        page.locator(f"#pick-{application.id}").check()
    page.locator("#bulk-action").select_option("reject")
    page.locator("#bulk-form button[type=submit]").click()
    expect(page.locator("#bulk-doing")).to_contain_text("Sökande 3")
    page.get_by_role("button", name="Confirm for 3 candidates").click()
    expect(page.get_by_text("Done for 3 candidates")).to_be_visible()

    # She gets a message from the candidate page.
    page.goto(f"{live_server.url}/staff/candidates/{sara.candidate_id}")
    page.locator("#msg-body").fill("Hej Sara! Berätta gärna mer om fjällräddningen.")
    page.locator("#message-compose").get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_text("Message sent.")).to_be_visible()

    run_once(app)
    ctx.expire_all()
    rejected = {a.candidate.email: a for a in others[1:]}
    mails = {m["To"].split("<")[-1].rstrip(">"): m for m in smtp_server.messages}
    for email, application in rejected.items():
        ctx.refresh(application)
        assert application.closed_at is not None
        subject = ds.compose(ctx, application, "reject_screening", "")[0]
        assert mails[email]["Subject"] == subject
        assert "Hej" in _plain(mails[email])  # Swedish, as each of them reads
    to_sara = [m for m in smtp_server.messages if "sara@example.com" in m["To"]]
    assert len(to_sara) == 2  # the application's receipt and the message
    assert to_sara[-1]["Reply-To"] and "maria@example.com" in to_sara[-1]["Reply-To"]
    link = re.search(r"http://127\.0\.0\.1:\d+/c/\S+", _plain(to_sara[-1])).group(0)

    # She reads it in the portal and answers there.
    sara_page.goto(link)
    expect(sara_page.get_by_role("heading", name="Meddelanden")).to_be_visible()
    expect(sara_page.get_by_text("Berätta gärna mer om fjällräddningen.")).to_be_visible()
    sara_page.locator("#body").fill("Gärna! Jag har varit fjällräddare i sex år.")
    sara_page.get_by_role("button", name="Skicka", exact=True).click()
    expect(sara_page.get_by_text("Jag har varit fjällräddare i sex år.")).to_be_visible()

    # The recruiter is told by email and sees the answer on the candidate page.
    before = len(smtp_server.messages)
    run_once(app)
    told = [m for m in smtp_server.messages[before:] if "maria@example.com" in m["To"]]
    assert len(told) == 1 and f"/staff/candidates/{sara.candidate_id}" in _plain(told[0])
    page.reload()
    expect(page.get_by_text("Jag har varit fjällräddare i sex år.").first).to_be_visible()
    phone.close()
    desk.close()
