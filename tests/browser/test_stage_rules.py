"""A stage rule in a real Chromium: the recruiter picks the message a stage sends, the preview
follows the choice at once (htmx, no inline script), and after a move the candidate's
mailbox gets it in their language over real SMTP."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from portal.messaging.worker import run_once
from tests.browser.pages import StaffPages
from tests.factories import PASSWORD, CandidateFactory, UserFactory, make_application

pytestmark = pytest.mark.browser


def test_choose_preview_save_and_the_candidate_gets_it(app, ctx, browser: Browser,
                                                       live_server, smtp_server):
    UserFactory(email="rec@example.com", role="recruiter", name="Rebecka R")
    recruiter = UserFactory(email="rec2@example.com", role="recruiter")
    application = make_application(recruiter, CandidateFactory(
        name="Sara Svensson", email="sara@example.com", language="sv"))
    offer = next(s for s in application.opening.stages if s.name == "Offer")
    ctx.commit()
    app_id, offer_id, board = application.id, offer.id, application.opening_id
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    StaffPages(page, live_server.url).login("rec@example.com", PASSWORD)

    page.goto(f"{live_server.url}/staff/stages/{offer_id}")
    preview = page.locator("#entry-preview")
    expect(preview).to_contain_text("No message is sent on entering this stage.")
    page.get_by_label("Message to the candidate on entering this stage").select_option("offer")
    # The preview follows the choice without a click (htmx), in both languages.
    expect(preview).to_contain_text("Erbjudande: tjänsten som Backend developer")
    expect(preview).to_contain_text("Offer: the Backend developer role")
    assert page.locator("#entry-preview").count() == 1  # replaced, not nested
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()

    page.goto(f"{live_server.url}/staff/openings/{board}")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    moved = page.request.post(f"{live_server.url}/staff/applications/{app_id}/move",
                              form={"stage_id": str(offer_id), "csrf_token": token or ""},
                              max_redirects=0)
    assert moved.status == 303
    run_once(app)
    (message,) = [m for m in smtp_server.messages if "sara@example.com" in m["To"]]
    assert message["Subject"] == "Erbjudande: tjänsten som Backend developer"
    assert "Hej Sara," in message.get_body(("plain",)).get_content()
    assert not [e for e in errors if "Content Security Policy" in e], errors
    page.close()
