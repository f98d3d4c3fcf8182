"""Demo-like data for crawling every page a candidate, a referee or a talent-pool member
reaches: the demo seed, plus an open reference request and a talent-pool invitation (the
seed has neither), each with the link its email carries."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.demo import STAFF_EMAIL, seed
from portal.hiring.models import Application
from portal.pool import services as pool
from portal.pool.consent import unsubscribe_url
from portal.pool.models import PoolInvite
from portal.privacy.models import TalentConsent
from portal.privacy.services import extend_link
from portal.references.services import RefereeData, add_referee, send_request
from tests.factories import move_to

# Links that leave the page, download a file or change something on a GET.
NOT_PAGES = ("/calendar/", ".ics", ".json", "/cv", "sign-out", "/c/", "/r/", "/static/")
CANDIDATE_AREAS = ("/portal", "/referee", "/pool/")


@dataclass
class DemoLinks:
    staff_email: str
    staff_password: str
    candidates: list[tuple[str, str]]  # (name, path of their sign-in link)
    referee: str  # path of the referee's link
    pool_extend: str
    pool_unsubscribe: str


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def make_demo(db: Session, settings: Any) -> DemoLinks:
    data = seed(db, settings)
    recruiter = db.scalar(select(User).where(User.email == STAFF_EMAIL))
    application = next(
        a for a in db.scalars(select(Application).order_by(Application.id))
        if a.closed_at is None and a.candidate.language == "sv"
        and any(s.name == "References" for s in a.opening.stages))
    move_to(recruiter, application,
            next(s for s in application.opening.stages if s.name == "References"))
    referee = add_referee(db, application.candidate, application, RefereeData(
        name="Maja Manager", relation="Chef", email="maja@example.com", phone="",
        language="sv", consent=True))
    referee_link = send_request(db, settings, recruiter, referee)
    consent = db.scalars(select(TalentConsent).where(TalentConsent.withdrawn_at.is_(None))
                         .order_by(TalentConsent.id)).first()
    profile = pool.profile_of(db, consent.candidate_id) or pool.ensure_profile(
        db, consent.candidate)
    opening = next(a.opening for a in db.scalars(select(Application).order_by(Application.id))
                   if a.candidate_id != consent.candidate_id and not a.opening.archived)
    pool.invite(db, settings, recruiter, [profile.id], opening)
    invite = db.scalars(select(PoolInvite).order_by(PoolInvite.id.desc())).first()
    links = DemoLinks(
        staff_email=data["staff"]["email"], staff_password=data["staff"]["password"],
        candidates=[(c["name"], _path(c["link"])) for c in data["candidates"]],
        referee=_path(referee_link or ""), pool_extend=_path(extend_link(settings, consent)),
        pool_unsubscribe=_path(unsubscribe_url(settings, invite)))
    db.commit()
    return links


def follow(hrefs: list[str], areas: tuple[str, ...] = CANDIDATE_AREAS) -> list[str]:
    """The same-site page links among ``hrefs`` worth opening (no fragment)."""
    found = []
    for href in hrefs:
        if not href or not href.startswith("/") or href.startswith("//"):
            continue
        href = href.split("#", 1)[0]
        if href.startswith(areas) and not any(bit in href for bit in NOT_PAGES):
            found.append(href)
    return found


def page_kind(path: str) -> str:
    """A page's kind: its path with the numbers and tokens left out, so one page of each
    kind stands for the rest (an interview page for every interview)."""
    bare = urlsplit(path).path
    if bare.startswith("/portal/guides/"):  # one template, each platform's own steps
        return "/portal/guides/…"
    if bare.startswith("/pool/"):
        return "/pool/…/unsubscribe" if bare.endswith("/unsubscribe") else "/pool/…"
    return re.sub(r"/\d+", "/N", bare)


def one_of_each_kind(client: Any, demo: DemoLinks,
                     public: list[str]) -> list[tuple[str, list[str]]]:
    """(sign-in link, [pages]) for each person, crawled with a Flask test client, so that
    together they hold one page of every kind a candidate, a referee or a talent-pool
    member reaches; then ``public`` (pages anyone may open), with no sign-in link."""
    kinds: set[str] = set()
    plan = []
    starts = [*(link for _name, link in demo.candidates), demo.referee, demo.pool_extend,
              demo.pool_unsubscribe]
    for start in starts:
        first = client.get(start, follow_redirects=True)
        landed = first.request.path + (f"?{first.request.query_string.decode()}"
                                       if first.request.query_string else "")
        todo, seen, mine = [landed], set(), []
        while todo:
            path = todo.pop(0)
            if path in seen:
                continue
            seen.add(path)
            response = client.get(path)
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            if page_kind(path) not in kinds:
                kinds.add(page_kind(path))
                mine.append(path)
            html = response.get_data(as_text=True)
            hrefs = [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', html)]
            todo.extend(h for h in follow(hrefs) if h not in seen)
        if mine:
            plan.append((start, mine))
    plan.append(("", ["/portal/link?reason=expired", *public]))
    return plan

