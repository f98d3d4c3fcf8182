"""The confirm step in Chromium: with JavaScript the panel opens in place (htmx, under the
Content-Security-Policy, no browser confirm()); without it the same step is a page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from portal.hiring.models import Interview
from tests.browser.pages import StaffPages
from tests.factories import (
    PASSWORD,
    CandidateFactory,
    UserFactory,
    make_application,
    make_interview,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("javascript", [True, False])
def test_cancelling_an_interview_asks_in_place_then_cancels(ctx, browser: Browser, live_server,
                                                             javascript):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    panel = UserFactory(email="petra@example.com", role="interviewer", name="Petra Panel")
    application = make_application(recruiter, CandidateFactory(name="Kim Kandidat"))
    interview = make_interview(recruiter, application, interviewers=[panel])
    interview.invited_at = interview.created_at
    ctx.commit()
    context = browser.new_context(locale="en-GB", java_script_enabled=javascript)
    staff = StaffPages(context.new_page(), live_server.url)
    staff.login("rec@example.com", PASSWORD)
    page = staff.page
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    candidate_url = f"{live_server.url}/staff/candidates/{application.candidate_id}"
    page.goto(candidate_url)
    page.get_by_role("link", name="Cancel interview").click()
    expect(page.get_by_text("Petra Panel (petra@example.com)")).to_be_visible()
    if javascript:
        assert page.url == candidate_url  # the panel opened in place
    else:
        assert page.url.endswith(f"/staff/interviews/{interview.id}/cancel")
    page.get_by_role("button", name="Yes, cancel the interview").click()
    expect(page.get_by_text("Interview cancelled. Everyone invited has been told.")) \
        .to_be_visible()
    assert dialogs == []
    ctx.expire_all()
    assert ctx.get(Interview, interview.id).is_cancelled
    context.close()
