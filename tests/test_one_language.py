"""One language per page: a Swedish page shows no English words a person reads.

The catalog is complete, and a crawl through the demo data as every kind of staff member
and as every demo candidate finds no server error and no English phrase from the catalog
(nor one of the raw internal words: stage names, roles, audit actions, export keys) on any
page rendered in Swedish.
"""

from __future__ import annotations

import functools
import re
from collections import deque
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from sqlalchemy import select

from portal.extensions import db, limiter
from tests.conftest import csrf_from, make_app

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "portal" / "translations" / "sv" / "LC_MESSAGES" / "messages.po"
PASSWORD = "crawl-password-123"
DEPTH = 3

# The raw internal words this check was written for: default stage names, role keys,
# audit action keys and export keys that once reached Swedish pages.
RAW_WORDS = ("Applied", "Screening", "Not selected", "interviewer", "recruiter",
             "profile_changed", "data_exported", "Exported at", "first seen at",
             "Experience does not match the requirements")

# Not followed: signing out, downloads, static files, the token links inside the emails on
# the outbox pages (they would sign this browser in as someone else), the referee face and
# the raw email preview (an email speaks its recipient's language, not the reader's).
SKIP = re.compile(
    r"(logout|sign-out|\.ics$|\.json$|\.csv$|/calendar/|format=csv|^/static/|^/c/|^/r/|"
    r"^/pool/|^/referee/|/cv$|/tech-check/(download|ping)|/outbox/\d+/html$)")


def _catalog() -> Any:
    with CATALOG.open("rb") as handle:
        return read_po(handle)


# ---------------------------------------------------------------- (a) the catalog


def test_swedish_catalog_has_no_untranslated_or_fuzzy_entry():
    catalog = _catalog()
    untranslated = [m.id for m in catalog
                    if m.id and not (m.string and all(m.string))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [], f"untranslated: {untranslated[:15]}"
    assert fuzzy == [], f"fuzzy: {fuzzy[:15]}"


# ---------------------------------------------------------------- page text


class _Text(HTMLParser):
    """The text a person reads: no tags, attributes, scripts, styles, form values, and no
    element marked as another language (the "English" button of the language switch)."""

    SKIPPED = {"script", "style", "textarea", "template", "noscript"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []
        self.links: list[str] = []

    def _hidden(self) -> bool:
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        if tag in self.VOID:
            return
        lang = (values.get("lang") or "sv").split("-")[0]
        self.stack.append((tag, tag in self.SKIPPED or lang != "sv"))
        self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.VOID:
            return
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break
        self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._hidden():
            self.parts.append(data)

    def text(self) -> str:
        return " ".join("".join(self.parts).split())


def page_text_and_links(html: str) -> tuple[str, list[str]]:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.text(), parser.links


def _phrase_pattern(msgid: str) -> re.Pattern[str] | None:
    """A whole-phrase pattern for an English msgid worth looking for, or None. Placeholders
    match any short text; only the literal words count towards "long enough"."""
    pieces = re.split(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]*\}", msgid)
    literal = " ".join(" ".join(p.split()) for p in pieces).strip()
    if not re.search(r"[A-Za-z]", literal):
        return None
    if len(literal.split()) < 3 and len(literal) < 12:
        return None
    body = r".{1,80}?".join(r"\s+".join(re.escape(w) for w in p.split()) for p in pieces)
    return re.compile(r"(?<![\w%])" + body + r"(?!\w)")


@functools.cache
def _needle(msgid: str) -> str:
    """The longest word of a msgid: a page without it cannot hold the phrase (a cheap test
    before the regular expression)."""
    words = re.split(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]*\}|\s+", msgid)
    return max(words, key=len)


@functools.cache
def english_patterns() -> list[tuple[str, re.Pattern[str]]]:
    patterns = []
    for message in _catalog():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for msgid in ids:
            if msgid in strings:
                continue  # the same in both languages (names of platforms and the like)
            pattern = _phrase_pattern(msgid)
            if pattern is not None:
                patterns.append((msgid, pattern))
    for word in RAW_WORDS:
        patterns.append((word, re.compile(r"(?<!\w)" + re.escape(word) + r"(?!\w)")))
    return patterns


def test_phrase_patterns_find_whole_phrases_only():
    pattern = _phrase_pattern("Thank you for your interest in %(title)s.")
    assert pattern is not None
    assert pattern.search("Hej! Thank you for your interest in  Backend. Tack")
    assert not pattern.search("Tack för ditt intresse för Backend.")
    assert _phrase_pattern("Save") is None and _phrase_pattern("%(n)d") is None
    words = dict(english_patterns())
    assert words["Not selected"].search("Steg: Not selected")
    assert not words["interviewer"].search("intervjuare, interviewers")
    text, links = page_text_and_links(
        '<p title="Not selected">Hej <b>Anna</b><script>var a="Applied"</script>'
        '<input value="Screening"><textarea>Applied</textarea>'
        '<button lang="en">English</button><a href="/x">x</a></p>')
    assert text == "Hej Anna x" and links == ["/x"]


# ---------------------------------------------------------------- (b) the crawl


def _user_data(session: Any) -> list[str]:
    """Text people typed (titles, round names, message texts, names, notes): it may be in
    English on a Swedish page and is taken out before the check."""
    from portal.accounts.models import User
    from portal.decisions.models import MessageTemplate, OutcomeMessage
    from portal.feedback.models import InterviewKit, KitCompetency, ScorecardRating
    from portal.hiring.models import Candidate, Interview, Opening
    from portal.messaging.models import OutboxMessage
    from portal.pool.models import TalentProfile

    columns = [Opening.title, Opening.team, Opening.description, Interview.round_name,
               Interview.what_to_expect, Interview.preparation, Candidate.name,
               Candidate.email, User.name, User.email, OutboxMessage.subject,
               OutboxMessage.text_body, MessageTemplate.subject, MessageTemplate.body,
               OutcomeMessage.subject, OutcomeMessage.body, InterviewKit.name,
               TalentProfile.summary, TalentProfile.skills, TalentProfile.roles,
               TalentProfile.languages, TalentProfile.location]
    columns += [KitCompetency.name, KitCompetency.description, KitCompetency.anchors,
                KitCompetency.questions, ScorecardRating.notes]
    found: set[str] = set()
    for column in columns:
        for value in session.scalars(select(column)):
            for line in str(value or "").splitlines():
                line = " ".join(line.split())
                if len(line) >= 3:
                    found.add(line)
    return sorted(found, key=len, reverse=True)


class Crawler:
    def __init__(self, client: Any, user_data: list[str],
                 patterns: list[tuple[str, re.Pattern[str]]]) -> None:
        self.client = client
        self.user_data = user_data
        self.patterns = patterns
        self.errors: list[str] = []
        self.english: dict[str, set[str]] = {}
        self.not_swedish: list[str] = []
        self.pages = 0

    def follow(self, *starts: str) -> None:
        seen = set(starts)
        queue: deque[tuple[str, int]] = deque((start, 0) for start in starts)
        while queue:
            url, depth = queue.popleft()
            response = self.client.get(url, headers={"Accept-Language": "sv"})
            self.pages += 1
            if response.status_code >= 500:
                self.errors.append(f"{response.status_code} {url}")
                continue
            if response.status_code in (301, 302, 303, 307, 308):
                target = urlsplit(response.headers["Location"])
                next_url = target.path + (f"?{target.query}" if target.query else "")
                if not target.netloc and next_url not in seen and not SKIP.search(next_url):
                    seen.add(next_url)
                    queue.append((next_url, depth))
                continue
            if response.mimetype != "text/html":
                continue
            html = response.get_data(as_text=True)
            text, links = page_text_and_links(html)
            if re.search(r'<html lang="sv"', html):
                self.check_swedish(url, text)
            elif "<html" in html:
                self.not_swedish.append(url)  # the reader asked for Swedish everywhere
            if depth >= DEPTH:
                continue
            for href in links:
                href = urldefrag(urljoin(url, href))[0]
                parts = urlsplit(href)
                if parts.scheme not in ("", "http") or parts.netloc not in ("", "localhost"):
                    continue
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                if not path.startswith("/") or SKIP.search(path) or path in seen:
                    continue
                seen.add(path)
                queue.append((path, depth + 1))

    def check_swedish(self, url: str, text: str) -> None:
        for data in self.user_data:
            if data in text:
                text = text.replace(data, " · ")
        for msgid, pattern in self.patterns:
            if _needle(msgid) in text and pattern.search(text):
                self.english.setdefault(msgid, set()).add(url)


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, dict[str, Any]]]:
    """The demo data, every staff member and candidate speaking Swedish, plus a plain
    recruiter and an interviewer who sits on no interview. SQLite only: the crawl reads
    a few hundred pages, and the words on a page do not depend on the database."""
    from flask_migrate import upgrade

    from portal.accounts.models import User
    from portal.accounts.services import create_user
    from portal.demo import seed
    from portal.hiring.models import Candidate

    app = make_app(f"sqlite:///{tmp_path_factory.mktemp('crawl') / 'crawl.sqlite3'}")
    with app.app_context():
        upgrade()
        settings = app.config["PORTAL"]
        data = seed(db.session, settings)
        create_user(db.session, email="plain.recruiter@example.com", name="Rut Rekryterare",
                    password=PASSWORD, role="recruiter", language="sv")
        create_user(db.session, email="idle@example.com", name="Ivar Ledig",
                    password=PASSWORD, role="interviewer", language="sv")
        for user in db.session.scalars(select(User)):
            user.language = "sv"
            user.set_password(PASSWORD)
        for candidate in db.session.scalars(select(Candidate)):
            candidate.language = "sv"
        db.session.commit()
        links = {p["email"]: p["link"].removeprefix(settings.base_url)
                 for p in data["candidates"]}
        extra = {"user_data": _user_data(db.session), "links": links}
        db.session.remove()
    yield app, extra
    with app.app_context():
        db.engine.dispose()


STAFF = {"admin": "recruiter@example.com", "recruiter": "plain.recruiter@example.com",
         "panel interviewer": "maria@example.com", "idle interviewer": "idle@example.com"}
# How far each crawl gets at least (an interviewer on no interview sees only the start).
MIN_PAGES = {"admin": 60, "recruiter": 50, "panel interviewer": 6, "idle interviewer": 4}


def _crawl_report(crawler: Crawler) -> str:
    lines = [f"{len(crawler.errors)} server errors: {crawler.errors[:10]}",
             f"pages not in Swedish: {crawler.not_swedish[:10]}"]
    for msgid, urls in sorted(crawler.english.items()):
        lines.append(f"English {msgid!r} on {sorted(urls)[:4]}")
    return "\n".join(lines)


@pytest.mark.parametrize("role", list(STAFF))
def test_staff_pages_speak_swedish(demo_app, role):
    app, extra = demo_app
    limiter.reset()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "sv"
    page = client.get("/staff/login")
    signed_in = client.post("/staff/login", data={
        "email": STAFF[role], "password": PASSWORD, "csrf_token": csrf_from(page.text)})
    assert signed_in.status_code == 303
    crawler = Crawler(client, extra["user_data"], english_patterns())
    # Beside the links: pages this person may not see answer in Swedish too.
    crawler.follow("/staff/", "/staff/audit", "/staff/candidates/1", "/staff/no-such-page")
    assert crawler.pages >= MIN_PAGES[role]
    print(f"{crawler.pages} pages")
    assert not (crawler.errors or crawler.english or crawler.not_swedish), _crawl_report(crawler)


CANDIDATES = ("anna@example.com", "ben@example.com", "chen@example.com",
              "david@example.com", "elin@example.com", "farid@example.com",
              "grace@example.com", "hanna@example.com", "isak@example.com",
              "julia@example.com")


@pytest.mark.parametrize("email", CANDIDATES)
def test_candidate_pages_speak_swedish(demo_app, email):
    app, extra = demo_app
    limiter.reset()
    assert set(extra["links"]) == set(CANDIDATES)  # every demo candidate is crawled
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "sv"
    opened = client.get(extra["links"][email])
    assert opened.status_code in (302, 303) and opened.headers["Location"] == "/portal/"
    crawler = Crawler(client, extra["user_data"], english_patterns())
    crawler.follow("/portal/", "/portal/applications/99999", "/portal/no-such-page")
    assert crawler.pages > 8
    print(f"{crawler.pages} pages")
    assert not (crawler.errors or crawler.english or crawler.not_swedish), _crawl_report(crawler)


# ---------------------------------------------------------------- the words behind the keys


def test_default_stage_names_follow_the_reader_and_typed_names_stay(app, ctx):
    from portal.i18n import force_locale
    from tests.factories import UserFactory, make_opening

    opening = make_opening(UserFactory(role="admin"))
    screening = next(s for s in opening.stages if s.name == "Screening")
    typed = next(s for s in opening.stages if s.name == "Offer")
    typed.name = "Case study"
    with app.test_request_context(headers={"Accept-Language": "sv"}):
        assert screening.display_name == "Urval"
        assert typed.display_name == "Case study"
        with force_locale("en"):
            assert screening.display_name == "Screening"


def test_users_page_names_roles_in_swedish(app, client, ctx, login):
    from tests.factories import PASSWORD, UserFactory

    UserFactory(email="boss@example.com", role="admin", language="sv")
    UserFactory(email="panel@example.com", role="interviewer", language="sv")
    ctx.commit()
    login("boss@example.com", PASSWORD)
    text, _links = page_text_and_links(
        client.get("/staff/users", headers={"Accept-Language": "sv"}).text)
    assert "Intervjuare" in text and "Administratör" in text
    assert not re.search(r"(?<!\w)(interviewer|admin)(?!\w)", text)


def test_audit_log_reads_as_words_with_names_and_its_csv_keeps_keys(app, client, ctx, login):
    from portal.privacy.services import audit
    from tests.factories import PASSWORD, CandidateFactory, UserFactory

    admin = UserFactory(email="boss@example.com", name="Bo Chef", role="admin", language="sv")
    person = CandidateFactory(name="Signe Sökande")
    audit(ctx, "profile_changed", person.id, "staff", admin.id)
    audit(ctx, "data_exported", person.id, "candidate", person.id)
    ctx.commit()
    login("boss@example.com", PASSWORD)
    page = client.get("/staff/audit", headers={"Accept-Language": "sv"})
    text, _links = page_text_and_links(page.text)
    # Each row is a sentence with names, in the reader's language.
    assert "Bo Chef ändrade Signe Sökandes profil i talangpoolen" in text
    assert "Signe Sökande tog en kopia av sina uppgifter" in text
    assert "profile_changed" not in text and "candidate 7" not in text
    filtered = client.get("/staff/audit?action=data_exported",
                          headers={"Accept-Language": "sv"}).text
    rows_shown = page_text_and_links(filtered.split("<tbody>", 1)[1])[0]
    assert "tog en kopia av sina uppgifter" in rows_shown and "ändrade" not in rows_shown
    csv_text = client.get("/staff/audit?format=csv").text
    header, *rows = csv_text.splitlines()
    assert header == ("at,actor_kind,actor_id,action,candidate_id,actor_name,candidate_name,"
                      "what_happened")
    assert any(",profile_changed," in r and "Bo Chef" in r and "Signe Sökande" in r
               for r in rows)


def test_my_data_page_has_swedish_labels_and_readable_times(app, client, ctx, settings):
    from portal.links.services import issue_link
    from tests.factories import CandidateFactory

    person = CandidateFactory(name="Signe Sökande", language="sv",
                              timezone="Europe/Stockholm")
    _link, token = issue_link(ctx, settings, person)
    ctx.commit()
    client.get(f"/c/{token}")
    html = client.get("/portal/my-data", headers={"Accept-Language": "sv"}).text
    text, _links = page_text_and_links(html)
    assert "Första besöket i portalen" in text and "Utdraget gjort" in text
    assert "Svenska" in text  # the language, not "sv"
    for raw in ("Exported at", "first seen at", "Person", "exported_at"):
        assert raw not in text
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text), "an ISO timestamp on the page"
    assert re.search(r"\d{1,2} \w+\.? 20\d\d kl\. \d\d\.\d\d", text)  # "3 dec. 2026 kl. 14.00"
    data = client.get("/portal/my-data.json").get_json()
    assert data["exported_at"][:4].isdigit() and "T" in data["person"]["first_seen_at"]
