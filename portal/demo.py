"""Demo data: a recruiter, two interviewers, two openings and candidates at every point
of a process, so a new user can click through the whole product."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import Role, User
from portal.accounts.services import create_user
from portal.booking import holds
from portal.branding.logos import clean_logo
from portal.branding.models import Brand
from portal.branding.services import BrandInput, create_brand
from portal.hiring import services
from portal.hiring.models import Candidate, Opening
from portal.links.services import issue_link, link_url
from portal.process import lifecycle
from portal.settings import Settings
from portal.timeutil import utcnow, zone

STAFF_EMAIL = "recruiter@example.com"

EXPECT_SV = (
    "Du träffar Maria (rekryterande chef) och Johan (utvecklare). Vi börjar med en kort "
    "presentation av teamet, sedan pratar vi om dina erfarenheter och du får gott om tid för "
    "frågor. Efter intervjun hör vi av oss inom en vecka."
)
PREP_SV = (
    "Sitt gärna i ett tyst rum med bra ljus. Ha cv:t nära till hands och tänk på ett projekt "
    "du är stolt över. Testa ljud och bild ett par dagar innan."
)
EXPECT_EN = (
    "You will meet Maria (hiring manager) and Johan (engineer). We start with a short "
    "introduction to the team, then talk about your experience, and leave plenty of time for "
    "your questions. We will get back to you within a week."
)
PREP_EN = (
    "Find a quiet room with good light. Keep your CV at hand and think of a project you are "
    "proud of. Test your sound and picture a couple of days before."
)


def _staff(db: Session, email: str, name: str, role: Role, language: str) -> tuple[User, str]:
    password = secrets.token_urlsafe(12)
    user = db.scalar(select(User).where(User.email == email))
    if user is None:
        user = create_user(db, email=email, name=name, password=password, role=role.value,
                           language=language)
    else:
        user.set_password(password)
        user.active = True
    return user, password


def _at(days: int, hour: int, minute: int = 0) -> datetime:
    local = utcnow().astimezone(zone("Europe/Stockholm")) + timedelta(days=days)
    return local.replace(hour=hour, minute=minute, second=0, microsecond=0)


def seed(db: Session, settings: Settings) -> dict[str, Any]:
    """Create the demo data (once) and return the staff login and fresh candidate links."""
    recruiter, password = _staff(db, STAFF_EMAIL, "Rebecka Rekryterare", Role.ADMIN, "sv")
    maria, _p1 = _staff(db, "maria@example.com", "Maria Chef", Role.INTERVIEWER, "sv")
    johan, _p2 = _staff(db, "johan@example.com", "Johan Utvecklare", Role.INTERVIEWER, "en")
    db.flush()
    _seed_profiles(db, [recruiter, maria, johan])
    _seed_brands(db, recruiter)

    if db.scalar(select(Opening.id).limit(1)) is None:
        _seed_hiring(db, settings, recruiter, [maria, johan])
    _seed_working_hours(db, [maria, johan])
    offer = _seed_booking(db, settings, recruiter, [maria, johan])
    published = _seed_public_page(db, settings, recruiter)

    people = []
    for candidate in db.scalars(select(Candidate).order_by(Candidate.id)):
        _link, token = issue_link(db, settings, candidate)
        people.append({"name": candidate.name, "email": candidate.email,
                       "link": link_url(settings, token)})
    data: dict[str, Any] = {"staff": {"email": recruiter.email, "password": password},
                            "candidates": people}
    from portal.intake.public import public_url

    data["public_page"] = {"title": published.title, "url": public_url(settings, published)}
    data["api_key"] = _seed_api_key(db, settings, recruiter)
    if offer is not None:  # her own link, straight to the booking page
        candidate = offer.application.candidate
        _link, token = issue_link(db, settings, candidate)
        data["booking"] = {"name": candidate.name, "email": candidate.email,
                           "link": link_url(settings, token,
                                            next_path=f"/portal/booking/{offer.id}")}
    return data


# Titles and portrait colours (background, clothes, hair, skin) of the demo staff.
PROFILES = {
    "recruiter@example.com": ("Rekryteringsansvarig", ("#f4d9c6", "#7a2e4d", "#5b3a29", "#e8b894")),
    "maria@example.com": ("Teknisk chef", ("#cfe3f4", "#1f4e79", "#2b2118", "#c99572")),
    "johan@example.com": ("Senior utvecklare", ("#d8ecd3", "#2f5d3a", "#a8743a", "#f1c9a5")),
}


def _portrait(colours: tuple[str, str, str, str]) -> bytes:
    """A friendly head-and-shoulders picture drawn with Pillow (the demo downloads
    nothing): drawn large and scaled down, so the edges are smooth."""
    import io

    from PIL import Image, ImageDraw

    background, clothes, hair, skin = colours
    big = 1024
    image = Image.new("RGB", (big, big), background)
    draw = ImageDraw.Draw(image)
    draw.ellipse((150, 700, 874, 1400), fill=clothes)  # shoulders
    draw.rectangle((442, 560, 582, 760), fill=skin)  # neck
    draw.ellipse((322, 210, 702, 650), fill=hair)  # hair behind the head
    draw.ellipse((352, 260, 672, 640), fill=skin)  # face
    draw.chord((340, 215, 684, 520), 180, 360, fill=hair)  # fringe
    out = io.BytesIO()
    image.resize((512, 512), Image.Resampling.LANCZOS).save(out, "PNG")
    return out.getvalue()


def _seed_profiles(db: Session, staff: list[User]) -> None:
    """Titles and photos for the demo staff, through the same path as an upload; what
    someone changed themselves stays."""
    from portal.accounts import photos

    for user in staff:
        title, colours = PROFILES[user.email]
        if not user.title:
            user.title = title
        if user.photo_key is None:
            photos.set_photo(db, user, _portrait(colours))


# The demo employer: its brand is the default; one opening shows a sister brand instead.
DEMO_BRAND = "Nordljus Energi"
SISTER_BRAND = "Nordljus Digital"


def _demo_logo() -> bytes:
    """A small wordmark: three bands of northern light over a dark disc, and the name."""
    return (
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 56" width="300" height="56">'
        b'<title>Nordljus Energi</title>'
        b'<circle cx="28" cy="28" r="26" fill="#12324f"/>'
        b'<path d="M8 34 C18 14 34 12 48 20" fill="none" stroke="#3ddc97" stroke-width="5" '
        b'stroke-linecap="round"/>'
        b'<path d="M10 42 C22 26 36 24 47 30" fill="none" stroke="#7cc6fe" stroke-width="4" '
        b'stroke-linecap="round"/>'
        b'<path d="M14 48 C24 38 36 36 44 40" fill="none" stroke="#f9d56e" stroke-width="3" '
        b'stroke-linecap="round"/>'
        b'<text x="64" y="36" font-family="system-ui, sans-serif" font-size="23" '
        b'font-weight="700" fill="#12324f">Nordljus <tspan fill="#0d7a5f">Energi</tspan></text>'
        b'</svg>')


def _seed_brands(db: Session, admin: User) -> None:
    """The demo employer's brand (the default) and its sister brand, once."""
    if db.scalar(select(Brand.id).where(Brand.name == DEMO_BRAND)) is not None:
        return
    create_brand(db, admin, BrandInput(
        name=DEMO_BRAND, accent="#0d6b53", logo=clean_logo(_demo_logo(), "nordljus.svg"),
        sign_off_sv="Varma hälsningar,\nRekryteringsteamet på Nordljus Energi",
        sign_off_en="Warm regards,\nThe recruiting team at Nordljus Energi",
        contact_name="Sara Lind", contact_email="sara.lind@example.com",
        contact_phone="08-123 456 78", make_default=True))
    create_brand(db, admin, BrandInput(
        name=SISTER_BRAND, accent="#5b2a86",
        sign_off_sv="Hälsningar,\nNordljus Digital", sign_off_en="Best wishes,\nNordljus Digital",
        contact_name="Omar Haddad", contact_email="omar.haddad@example.com"))


def _seed_api_key(db: Session, settings: Settings, admin: User) -> str:
    """A key for trying the API (README: "API and webhooks"). In demo mode it is the fixed
    demo key; elsewhere (development) a fresh random one each run, the previous revoked."""
    from portal.api import keys
    from portal.api.models import ApiKey

    if settings.env == "demo":
        known = db.scalar(select(ApiKey).where(
            ApiKey.prefix == keys.DEMO_TOKEN[:keys.LOOKUP]))
        if known is not None:
            known.revoked_at = None
            return keys.DEMO_TOKEN
        return keys.create_key(db, admin, "Demo integration", list(keys.SCOPES),
                               token=keys.DEMO_TOKEN).token
    for old in db.scalars(select(ApiKey).where(ApiKey.name == "Demo integration",
                                               ApiKey.revoked_at.is_(None))):
        old.revoked_at = utcnow()
    return keys.create_key(db, admin, "Demo integration", list(keys.SCOPES)).token


PUBLIC_APPLICANTS = (("Hanna Holm", "hanna@example.com", "sv"),
                     ("Isak Nordin", "isak@example.com", "sv"),
                     ("Julia Martins", "julia@example.com", "en"))


def _demo_cv(name: str) -> bytes:
    """A one-page PDF with the applicant's name (the public page accepts only real PDFs)."""
    text = f"BT /F1 18 Tf 72 720 Td ({name}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return out


def _seed_public_page(db: Session, settings: Settings, actor: User) -> Opening:
    """A published opening with a few applications that came in through its public page
    (once; the same opening on later runs)."""
    import io

    from portal.intake import public

    found = db.scalar(select(Opening).where(Opening.published.is_(True)).order_by(Opening.id))
    if found is not None:
        return found
    opening = services.create_opening(db, actor, services.OpeningData(
        title="Kundtjänstmedarbetare", team="Kundtjänst",
        description="Du hjälper våra kunder på telefon, i chatt och via mejl. Vi arbetar "
                    "på distans med träffar på kontoret i Uppsala en gång i månaden.\n\n"
                    "Du får en grundlig introduktion och en fadder de första veckorna.",
        language="sv", published=True))
    for name, email, lang in PUBLIC_APPLICANTS:
        public.apply_publicly(db, settings, opening, public.PublicApplication(
            name=name, email=email, phone="", language=lang, consent=True,
            cv_name=f"cv-{name.split()[0].lower()}.pdf", cv_stream=io.BytesIO(_demo_cv(name))))
    return opening


def _seed_working_hours(db: Session, panel: list[User]) -> None:
    """Working hours for the interviewers (Monday to Friday 09:00 to 17:00, lunch at 12):
    with no calendar connected, these and the portal's own interviews decide the free
    times a candidate is offered. A member who saved their own hours keeps them."""
    from portal.scheduling.engine import Period
    from portal.scheduling.models import InterviewerSchedule
    from portal.scheduling.services import save_schedule

    day = Period(9 * 60, 17 * 60, 12 * 60, 13 * 60)
    for user in panel:
        if db.get(InterviewerSchedule, user.id) is None:
            save_schedule(db, user, user, "Europe/Stockholm", {d: day for d in range(5)})


BOOKER = ("Hanna Holm", "hanna@example.com")


def _seed_booking(db: Session, settings: Settings, actor: User, panel: list[User]) -> Any:
    """A candidate with a round to book herself: Hanna, in the Interview stage of the
    backend opening, offered a technical interview with any one of the panel over the
    coming ten days. Run again, she gets a fresh offer once the last one's days are over
    (unless she has booked a time still ahead). Returns her open offer, or None."""
    from portal.booking import services as booking
    from portal.booking.models import BookingOffer, OfferStatus
    from portal.hiring.models import Application

    opening = db.scalar(select(Opening).where(Opening.title == "Backendutvecklare"))
    if opening is None:
        return None
    candidate = db.scalar(select(Candidate).where(Candidate.email == BOOKER[1]))
    if candidate is None:
        candidate = services.create_candidate(db, actor, services.CandidateData(
            name=BOOKER[0], email=BOOKER[1], phone="", language="sv",
            timezone="Europe/Stockholm", default_timezone=settings.default_timezone))
    application = db.scalar(select(Application).where(
        Application.candidate_id == candidate.id, Application.opening_id == opening.id))
    if application is None:
        application = lifecycle.apply(db, actor, candidate, opening)
        for name in ("Screening", "Interview"):
            lifecycle.move(db, settings, actor, application,
                           next(s for s in opening.stages if s.name == name))
    if application.is_closed:
        return None
    now = utcnow()
    for offer in db.scalars(select(BookingOffer).where(
            BookingOffer.application_id == application.id).order_by(BookingOffer.id.desc())):
        if offer.status == OfferStatus.OPEN:
            if offer.request.withdrawn_at is None and (
                    offer.request.window_ends_at > now + timedelta(days=1)):
                return offer
            booking.withdraw_offer(db, actor, offer)  # its days are over: offer anew
        elif (offer.status == OfferStatus.BOOKED and offer.interview is not None
              and not offer.interview.is_cancelled and offer.interview.starts_at > now):
            return None  # she has booked a time ahead: nothing to offer
    today = now.astimezone(zone(settings.default_timezone)).date()
    created = booking.create_request(db, settings, actor, opening, [application],
                                     booking.RequestData(
        round_name="Teknisk intervju", duration_minutes=45,
        interviewer_ids=[u.id for u in panel], required=1,
        window_from=today + timedelta(days=1), window_to=today + timedelta(days=10),
        notice_hours=12, buffer_before_minutes=0, buffer_after_minutes=15,
        per_day_limit=3, platform="jitsi", meeting_url="", cutoff_hours=24,
        what_to_expect=EXPECT_SV, preparation=PREP_SV))
    return created.offers[0]


def _seed_hiring(db: Session, settings: Settings, actor: User, panel: list[User]) -> None:
    backend = services.create_opening(db, actor, services.OpeningData(
        title="Backendutvecklare", team="Plattform",
        description="Python, PostgreSQL och API:er för våra kunder.", language="sv"))
    designer = services.create_opening(db, actor, services.OpeningData(
        title="Product Designer", team="Design",
        description="Shape the candidate experience end to end.", language="en",
        brand_id=db.scalar(select(Brand.id).where(Brand.name == SISTER_BRAND))))

    def person(name: str, email: str, lang: str, tz: str) -> Candidate:
        return services.create_candidate(db, actor, services.CandidateData(
            name=name, email=email, phone="", language=lang, timezone=tz,
            default_timezone=settings.default_timezone))

    anna = person("Anna Andersson", "anna@example.com", "sv", "Europe/Stockholm")
    ben = person("Ben Carter", "ben@example.com", "en", "Europe/London")
    chen = person("Chen Li", "chen@example.com", "en", "Asia/Shanghai")
    david = person("David Berg", "david@example.com", "sv", "Europe/Stockholm")

    def stage(opening: Opening, name: str) -> Any:
        return next(s for s in opening.stages if s.name == name)

    def interview(app: Any, round_name: str, when: datetime, platform: str, url: str,
                  lang: str, send: bool = True) -> Any:
        return lifecycle.schedule(db, settings, actor, app, services.InterviewData(
            round_name=round_name, starts_at=when, duration_minutes=45, platform=platform,
            meeting_url=url, what_to_expect=EXPECT_SV if lang == "sv" else EXPECT_EN,
            preparation=PREP_SV if lang == "sv" else PREP_EN,
            interviewer_ids=[u.id for u in panel]), send=send)

    from portal.platforms.links import new_jitsi_room_link

    a1 = lifecycle.apply(db, actor, anna, backend)
    soon = utcnow() + timedelta(minutes=12)
    interview(a1, "Första intervju", soon.replace(second=0, microsecond=0), "jitsi",
              new_jitsi_room_link(settings.jitsi_base_url), "sv")

    b1 = lifecycle.apply(db, actor, ben, designer)
    lifecycle.move(db, settings, actor, b1, stage(designer, "Screening"))
    interview(b1, "First interview", _at(2, 10), "teams",
              "https://teams.microsoft.com/meet/3546812790123?p=DemoPass42", "en")

    c1 = lifecycle.apply(db, actor, chen, backend)
    lifecycle.move(db, settings, actor, c1, stage(backend, "Screening"))
    lifecycle.move(db, settings, actor, c1, stage(backend, "Interview"))
    lifecycle.move(db, settings, actor, c1, stage(backend, "Final interview"))
    interview(c1, "Final interview", _at(5, 9, 30), "zoom",
              "https://zoom.us/j/98765432101?pwd=demoToken123", "en")
    _seed_feedback(db, settings, actor, panel, backend, c1, a1)

    d1 = lifecycle.apply(db, actor, david, designer)
    lifecycle.move(db, settings, actor, d1, stage(designer, "Screening"))
    from portal.decisions import services as decisions

    lifecycle.decide(db, settings, actor, d1, "reject", decisions.reasons(db)[1].label)
    subject, body = decisions.compose(db, d1, "reject_screening",
                                      "Tack för ett genomtänkt personligt brev.")
    decisions.schedule(db, actor, d1, "reject_screening", subject, body, None, settings)
    d2 = lifecycle.apply(db, actor, david, backend)
    lifecycle.move(db, settings, actor, d2, stage(backend, "Screening"))
    _seed_pool(db, settings, actor, person)


POOL = (
    ("Elin Ek", "elin@example.com", "sv", "Python, Django, PostgreSQL", "Göteborg", "hybrid",
     "Backend", "Sju år som systemutvecklare, senast med lönesystem för kommuner.",
     "Final interview"),
    ("Farid Haddad", "farid@example.com", "sv", "Kotlin, Android, UX", "Malmö", "remote",
     "Mobil, app", "Bygger appar för kollektivtrafiken och leder ett litet team.", "Interview"),
    ("Grace Okafor", "grace@example.com", "en", "Figma, user research, accessibility",
     "Stockholm", "onsite", "Design", "Designer who ran usability studies with 200 people.",
     "Screening"),
)


def _seed_pool(db: Session, settings: Settings, actor: User, person: Any) -> None:
    """Three people from last year's round who joined the talent pool."""
    from portal.decisions import services as decisions
    from portal.pool.consent import give_consent
    from portal.pool.services import CandidatePart, update_candidate_part

    old = services.create_opening(db, actor, services.OpeningData(
        title="Systemutvecklare 2025", team="Plattform", description="", language="sv"))
    for name, email, lang, skills, city, remote, roles, summary, reached in POOL:
        candidate = person(name, email, lang, "Europe/Stockholm")
        application = lifecycle.apply(db, actor, candidate, old)
        for step in old.stages[1:]:
            lifecycle.move(db, settings, actor, application, step)
            if step.name == reached:
                break
        lifecycle.reject(db, settings, actor, application, decisions.reasons(db)[0].label)
        decisions.record_no_message(db, actor, application, "Told by phone last year")
        consent = give_consent(db, settings, candidate, lang, roles)
        db.flush()
        from portal.pool.services import profile_of

        update_candidate_part(db, profile_of(db, consent.candidate_id), CandidatePart(
            summary=summary, skills=skills, location=city, remote=remote,
            languages="svenska, engelska" if lang == "sv" else "English", roles=roles))
    old.archived = True


def _seed_feedback(db: Session, settings: Settings, actor: User, panel: list[User],
                   opening: Opening, scored: Any, upcoming: Any) -> None:
    """A kit, an interview held three days ago and two scorecards that disagree, so the
    comparison has something to show."""
    from portal.feedback import services as fb

    kit = fb.create_starter_kit(db, actor, opening)
    held = lifecycle.schedule(db, settings, actor, scored, services.InterviewData(
        round_name="Första intervju", starts_at=utcnow() + timedelta(days=1),
        duration_minutes=45, platform="meet", meeting_url="https://meet.google.com/abc-defg-hij",
        what_to_expect="", preparation="", interviewer_ids=[u.id for u in panel],
        kit_id=kit.id))
    held.starts_at = utcnow() - timedelta(days=3)
    held.invited_at = held.starts_at - timedelta(days=5)
    holds.release(db, held)  # the panel's held time follows the interview into the past
    holds.hold(db, held)
    for person, level, rec in ((panel[0], 4, "strong_yes"), (panel[1], 2, "no")):
        card = fb.my_scorecard(db, person, held)
        fb.submit(db, person, card, fb.ScorecardData(
            ratings={c.id: level if c.position % 2 == 0 else 3 for c in kit.competencies},
            notes={kit.competencies[0].id: "Strukturerat resonemang kring cachning."},
            recommendation=rec, overall=""))
    for item in upcoming.interviews:
        item.kit_id = kit.id
