"""Page objects for the journeys: what a person does, in the words of the page."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page, expect


@dataclass
class StaffPages:
    page: Page
    base: str

    def login(self, email: str, password: str) -> None:
        self.page.goto(f"{self.base}/staff/login")
        self.page.get_by_label("Email").fill(email)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.get_by_role("heading", name="Dashboard")).to_be_visible()

    def schedule_interview(self, candidate_id: int, *, date: str, time: str, platform: str,
                           url: str, interviewer: str) -> None:
        self.page.goto(f"{self.base}/staff/candidates/{candidate_id}")
        self.page.get_by_role("link", name="Schedule interview").first.click()
        self.page.get_by_label("Round").fill("First interview")
        self.page.get_by_label("Date", exact=True).fill(date)
        self.page.get_by_label("Start time").fill(time)
        self.page.get_by_label("Time zone of the date and time above").select_option(
            "Europe/Stockholm")
        self.page.get_by_label("Video platform").select_option(platform)
        self.page.get_by_label("Meeting link").fill(url)
        self.page.get_by_label(interviewer).check()
        self.page.get_by_label("What to expect").fill("You meet Maria and the team.")
        self.page.get_by_label("Preparation instructions").fill("Test your sound first.")
        self.page.get_by_role("button", name="Schedule and send invitation").click()
        expect(self.page.get_by_text("The invitation is on its way.")).to_be_visible()


@dataclass
class CandidatePages:
    page: Page

    def confirm(self, button: str) -> None:
        self.page.get_by_role("button", name=button).click()

    def switch_language(self, to: str) -> None:
        self.page.get_by_role("button", name=to).click()


@dataclass
class PublicApplyPage:
    """The public page of an opening, as an applicant uses it."""

    page: Page
    base: str

    def open(self, opening_id: int) -> None:
        self.page.goto(f"{self.base}/jobs/{opening_id}")

    def apply(self, *, name: str, email: str, cv_path: str, labels: dict[str, str]) -> None:
        self.page.get_by_label(labels["name"]).fill(name)
        self.page.get_by_label(labels["email"]).fill(email)
        self.page.get_by_label(labels["cv"]).set_input_files(cv_path)
        self.page.get_by_label(labels["consent"]).check()
        # A person takes longer than the form's three seconds; so does this one.
        self.page.wait_for_timeout(3200)
        self.page.get_by_role("button", name=labels["send"]).click()
