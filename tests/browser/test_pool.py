"""The talent pool end to end in Chromium: a rejected candidate joins from the portal and
uploads a CV; staff find them by a skill and by a Swedish word from the CV and invite them
to a new opening; they answer "interested" and see the application; later they take their
data and ask for erasure, after which search no longer finds them and the audit log shows
every step."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from portal.links.services import issue_link
from portal.messaging.models import OutboxMessage
from portal.privacy.models import AuditEvent
from tests.browser.pages import StaffPages
from tests.factories import (
    PASSWORD,
    CandidateFactory,
    UserFactory,
    make_application,
    make_opening,
    move_to,
)
from tests.pool.helpers import pdf_with

pytestmark = pytest.mark.browser


def _serious(page) -> list[str]:
    return [v["id"] for v in Axe().run(page).response["violations"]
            if v["impact"] in ("serious", "critical")]


def test_join_be_found_invited_answer_then_take_data_and_erase(ctx, browser: Browser,
                                                               live_server, settings, app,
                                                               tmp_path):
    admin = UserFactory(email="rec@example.com", role="admin")
    application = make_application(admin, CandidateFactory(name="Kim Kandidat",
                                                           email="kim@example.com",
                                                           language="sv"))
    rejected = next(s for s in application.opening.stages if s.kind == "not_selected")
    move_to(admin, application, rejected)
    make_opening(admin, title="Dataingenjör")
    _l, token = issue_link(ctx, settings, application.candidate)
    ctx.commit()
    candidate_id = application.candidate_id
    base = live_server.url
    cv = tmp_path / "Kim CV.pdf"
    cv.write_bytes(pdf_with("Sju år som utvecklare. Byggde om lönesystemet för en kommun "
                            "och flyttade det till molnet."))

    # The candidate joins the pool, fills in the profile and uploads a CV, on a phone.
    phone = browser.new_context(locale="sv-SE", timezone_id="Europe/Stockholm",
                                viewport={"width": 390, "height": 844}).new_page()
    phone.goto(f"{base}/c/{token}")
    phone.get_by_role("link", name="Dina uppgifter").first.click()
    phone.get_by_label("Vilka slags tjänster intresserar dig? (valfritt)").fill("Backend, data")
    phone.get_by_label(re.compile("Jag godkänner att ni sparar mina uppgifter")).check()
    phone.get_by_role("button", name="Gå med i talangpoolen").click()
    expect(phone.get_by_role("heading", name="Din profil i talangpoolen")).to_be_visible()
    phone.get_by_label("Kompetenser").fill("Python, Kafka")
    phone.get_by_label("Var du bor eller vill arbeta").fill("Göteborg")
    phone.get_by_label("Arbete på distans").select_option("hybrid")
    phone.get_by_role("button", name="Spara profilen").click()
    expect(phone.get_by_text("Din profil är sparad.")).to_be_visible()
    phone.get_by_label("Ladda upp ditt cv (pdf, högst 10 MB)").set_input_files(str(cv))
    phone.get_by_role("button", name="Ladda upp", exact=True).click()
    expect(phone.get_by_text("Ditt cv är uppladdat.")).to_be_visible()
    expect(phone.get_by_text("Kim CV.pdf")).to_be_visible()
    assert _serious(phone) == []

    # Staff find them by a skill and by a Swedish word from the CV, live as they type.
    staff_context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    staff = StaffPages(staff_context.new_page(), base)
    staff.login("rec@example.com", PASSWORD)
    page = staff.page
    page.get_by_role("link", name="Talent pool").click()
    search = page.get_by_label("Search", exact=True)
    search.fill("kafka")
    expect(page.locator("#pool-results")).to_contain_text("Kim Kandidat")
    expect(page).to_have_url(re.compile(r"q=kafka"))
    search.fill("cobol")
    expect(page.locator("#pool-results")).to_contain_text("Nobody in the pool matches")
    search.fill("lönesystemet")
    expect(page.locator("#pool-results")).to_contain_text("Kim Kandidat")
    assert _serious(page) == []
    page.get_by_label("Name of this search").fill("Lönesystem")
    page.get_by_role("button", name="Save search").click()
    expect(page.get_by_role("link", name="Lönesystem")).to_be_visible()
    page.get_by_role("link", name="Kim Kandidat").click()
    expect(page.get_by_text("Göteborg")).to_be_visible()
    assert _serious(page) == []
    page.go_back()
    page.get_by_label("Choose Kim Kandidat").check()
    page.get_by_label("Invite the ticked people to").select_option(label="Dataingenjör")
    page.get_by_role("button", name="Send invitations").click()
    expect(page.get_by_text("1 person invited to Dataingenjör.")).to_be_visible()
    expect(page.get_by_role("cell", name="No answer yet")).to_be_visible()
    assert _serious(page) == []

    # The candidate answers from the email, in Swedish, and sees the new application.
    ctx.expire_all()
    mail = ctx.scalar(select(OutboxMessage).where(OutboxMessage.kind == "pool_invite"))
    assert mail.subject == "En ny tjänst som kan passa dig: Dataingenjör"
    link = re.search(r"http://127\.0\.0\.1:\d+/c/\S+", mail.text_body).group(0)
    phone.goto(link)
    expect(phone.get_by_role("heading", name="Dataingenjör")).to_be_visible()
    assert _serious(phone) == []
    phone.get_by_role("button", name="Jag är intresserad").click()
    expect(phone.get_by_text("Tack! Nu är du med i rekryteringen till Dataingenjör.")
           ).to_be_visible()
    phone.get_by_role("link", name="Översikt").first.click()
    expect(phone.get_by_role("heading", name="Dataingenjör")).to_be_visible()
    page.reload()
    expect(page.get_by_text("Interested")).to_be_visible()

    # Later they take their data and ask for erasure.
    phone.get_by_role("link", name="Dina uppgifter").first.click()
    phone.get_by_role("link", name="Se allt vi har om dig").click()
    expect(phone.get_by_text("kim@example.com").first).to_be_visible()
    phone.go_back()
    with phone.expect_download() as download:
        phone.get_by_role("link", name="Ladda ner allt (JSON)").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["person"]["email"] == "kim@example.com"
    assert "lönesystemet" in data["talent_pool_profile"]["cv_text"]
    assert {a["opening"] for a in data["applications"]} >= {"Dataingenjör"}
    phone.get_by_role("link", name="Radera mina uppgifter").click()
    phone.get_by_label("Ja, radera mina uppgifter").check()
    phone.get_by_role("button", name="Radera nu").click()
    expect(phone.get_by_role("heading", name=re.compile("raderade"))).to_be_visible()

    # Staff search no longer finds them; the audit log shows each step.
    page.goto(f"{base}/staff/pool/?q=kafka")
    expect(page.locator("#pool-results")).to_contain_text("Nobody in the pool matches")
    page.goto(f"{base}/staff/pool/?q=l%C3%B6nesystemet")
    expect(page.locator("#pool-results")).not_to_contain_text("Kim")
    page.goto(f"{base}/staff/audit?candidate={candidate_id}")
    from portal.privacy.words import AUDIT_SENTENCES

    rows = page.locator("table tbody").inner_text()
    for action in ("consent_given", "profile_changed", "cv_uploaded", "profile_viewed",
                   "pool_invited", "invite_interested", "data_exported", "erased"):
        with app.test_request_context(headers={"Accept-Language": "en"}):
            # The log speaks in sentences, not keys: staff's or the candidate's own words.
            shapes = [re.escape(str(s)).replace(re.escape("%(actor)s"), ".+").replace(
                re.escape("%(whose)s"), ".+").replace(re.escape("%(candidate)s"), ".+")
                for s in AUDIT_SENTENCES[action]]
        assert any(re.search(shape, rows) for shape in shapes), (action, rows)
    assert "erased" in rows and "Kim" not in rows
    ctx.expire_all()
    actions = [e.action for e in ctx.scalars(select(AuditEvent).where(
        AuditEvent.candidate_id == candidate_id).order_by(AuditEvent.id))]
    assert actions[-1] == "erased" and actions.index("consent_given") < actions.index(
        "pool_invited") < actions.index("invite_interested") < actions.index("data_exported")
    for context in (phone.context, staff_context):
        context.close()


def test_pool_staff_pages_have_no_serious_axe_violations_in_swedish_on_a_phone(
        ctx, browser: Browser, live_server, settings):
    from portal.pool.consent import give_consent
    from portal.pool.services import ensure_profile

    admin = UserFactory(email="rec@example.com", role="admin")
    application = make_application(admin, CandidateFactory(name="Sara Svensson"))
    give_consent(ctx, settings, application.candidate, "sv", "Data")
    profile = ensure_profile(ctx, application.candidate)
    ctx.commit()
    context = browser.new_context(locale="sv-SE", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{live_server.url}/staff/login")
    page.get_by_label("E-post").fill("rec@example.com")
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    for path in ("/staff/pool/", f"/staff/pool/{profile.id}", "/staff/pool/invites",
                 "/staff/retention", f"/staff/candidates/{application.candidate_id}"):
        page.goto(live_server.url + path)
        assert _serious(page) == [], path
    context.close()
