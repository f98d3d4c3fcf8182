"""Brands: the colour check, the logo cleaning, admin-only pages, the fingerprinted files,
and the brand every candidate page, email and calendar file shows."""

from __future__ import annotations

import io
import re

import pytest
from icalendar import Calendar
from PIL import Image
from sqlalchemy import select

from portal.branding import services as brands
from portal.branding.colour import DARK, WHITE, contrast_ratio, relative_luminance, text_on
from portal.branding.logos import clean_logo, clean_raster, clean_svg
from portal.branding.models import Brand
from portal.errors import DomainError
from portal.extensions import db
from portal.hiring import notify
from portal.links.services import issue_link
from portal.messaging.models import OutboxMessage
from tests.conftest import csrf_from
from tests.factories import (
    PASSWORD,
    CandidateFactory,
    UserFactory,
    make_application,
    make_interview,
    make_opening,
)

LOGO_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 60" width="200" '
            b'height="60"><title>Nordljus</title><rect width="60" height="60" fill="#0b5cad"/>'
            b'<text x="70" y="40" font-size="24">Nordljus</text></svg>')


# ---------------------------------------------------------------- colour (no database)

@pytest.mark.parametrize(("a", "b", "ratio"), [
    ("#000000", "#ffffff", 21.0),   # the extremes
    ("#ffffff", "#ffffff", 1.0),
    ("#767676", "#ffffff", 4.54),   # the lightest grey that passes on white (WebAIM)
    ("#777777", "#ffffff", 4.48),   # one step lighter fails
    ("#0000ff", "#ffffff", 8.59),
    ("#ff0000", "#ffffff", 4.0),
])
def test_contrast_matches_known_pairs(a, b, ratio):
    assert contrast_ratio(a, b) == pytest.approx(ratio, abs=0.01)
    assert contrast_ratio(b, a) == pytest.approx(ratio, abs=0.01)


def test_luminance_of_primaries():
    assert relative_luminance("#ffffff") == pytest.approx(1.0)
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#00ff00") == pytest.approx(0.7152)


def test_text_on_picks_white_then_dark_and_refuses_the_middle():
    assert text_on("#0b5cad") == WHITE
    assert text_on("#ffd21f") == DARK  # a light yellow takes the dark text
    assert text_on("#e0550b") is None  # an orange where neither reaches 4.5:1
    assert contrast_ratio("#e0550b", WHITE) < 4.5
    assert contrast_ratio("#e0550b", DARK) < 4.5


# ---------------------------------------------------------------- SVG (no database)

@pytest.mark.parametrize("evil", [
    b'<script>alert(1)</script>',
    b'<foreignObject width="10" height="10"><div xmlns="http://www.w3.org/1999/xhtml">'
    b'<script>alert(1)</script></div></foreignObject>',
    b'<a href="javascript:alert(1)"><rect width="5" height="5"/></a>',
    b'<image href="https://evil.example/x.png" width="5" height="5"/>',
    b'<use href="https://evil.example/s.svg#a"/>',
    b'<use xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="javascript:alert(1)"/>',
    b'<style>rect { fill: url(https://evil.example/x) }</style>',
    b'<style>@import "https://evil.example/x.css";</style>',
    b'<rect width="5" height="5" style="fill:url(https://evil.example/x)"/>',
    b'<set attributeName="href" to="javascript:alert(1)"/>',
])
def test_svg_sanitiser_strips_what_runs_or_loads(evil):
    data = LOGO_SVG.replace(b"</svg>", evil + b"</svg>")
    cleaned = clean_svg(data).decode()
    lowered = cleaned.lower()
    for word in ("script", "javascript", "foreignobject", "evil.example", "@import", "<a ",
                 "<image", "<set"):
        assert word not in lowered
    assert "<rect" in cleaned and "Nordljus" in cleaned  # the logo itself is kept


def test_svg_sanitiser_drops_event_handlers_and_keeps_local_references():
    data = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
            b' onload="alert(1)" viewBox="0 0 10 10"><defs><linearGradient id="g">'
            b'<stop offset="0" stop-color="#fff"/></linearGradient></defs>'
            b'<rect id="r" width="10" height="10" fill="url(#g)" onclick="alert(2)"/>'
            b'<use xlink:href="#r"/></svg>')
    cleaned = clean_svg(data).decode()
    assert "onload" not in cleaned and "onclick" not in cleaned and "alert" not in cleaned
    assert 'fill="url(#g)"' in cleaned
    assert 'xlink:href="#r"' in cleaned


@pytest.mark.parametrize("bad", [
    b"<svg",  # does not parse
    b'<!DOCTYPE svg [<!ENTITY x "boom">]><svg xmlns="http://www.w3.org/2000/svg">&x;</svg>',
    b'<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>',  # not an SVG
    b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',  # nothing left
])
def test_svg_that_does_not_parse_or_holds_nothing_is_refused(bad):
    with pytest.raises(DomainError) as err:
        clean_svg(bad)
    assert err.value.field == "logo"


def _png_with_exif(size: tuple[int, int] = (1200, 400)) -> bytes:
    image = Image.new("RGB", size, (11, 92, 173))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x9286] = "GPS home address"  # UserComment
    out = io.BytesIO()
    image.save(out, "PNG", exif=exif.tobytes())
    return out.getvalue()


def test_png_is_re_encoded_without_exif_and_fits_the_box():
    data = _png_with_exif()
    assert b"SecretCam" in data
    cleaned, content_type = clean_raster(data)
    assert content_type == "image/png"
    assert b"SecretCam" not in cleaned and b"GPS home" not in cleaned
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.size == (600, 200)
        assert not image.getexif()


def test_jpeg_loses_exif_too():
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    Image.new("RGB", (100, 50), (200, 30, 30)).save(out, "JPEG", exif=exif.tobytes())
    cleaned, content_type = clean_raster(out.getvalue())
    assert content_type == "image/jpeg" and b"SecretCam" not in cleaned


@pytest.mark.parametrize(("data", "name"), [
    (b"GIF89a" + b"\0" * 100, "logo.gif"),
    (b"not an image at all", "logo.png"),
    (b"", "logo.png"),
    (b"\x89PNG" + b"\0" * (1024 * 1024 + 10), "big.png"),
])
def test_other_files_are_refused_with_a_message(data, name):
    with pytest.raises(DomainError) as err:
        clean_logo(data, name)
    assert err.value.field == "logo" and str(err.value.message)


# ---------------------------------------------------------------- with the database

@pytest.fixture()
def world(ctx, settings):
    """A default brand and a second brand; one opening uses the second."""
    admin = UserFactory(role="admin")
    default = brands.create_brand(ctx, admin, brands.BrandInput(
        name="Nordljus Energi", accent="#0b5cad", sign_off_sv="Varma hälsningar, Nordljus",
        sign_off_en="Warm regards, Nordljus", contact_name="Sara Ek",
        contact_email="sara.ek@nordljus.example", logo=clean_logo(LOGO_SVG, "l.svg")))
    other = brands.create_brand(ctx, admin, brands.BrandInput(
        name="Fjällvind Service", accent="#1d5e3a", sign_off_sv="Hälsningar, Fjällvind",
        contact_name="Per Berg", contact_email="per@fjallvind.example"))
    plain = make_application(admin, CandidateFactory(language="en"))
    special_opening = make_opening(admin, "Wind technician")
    special_opening.brand_id = other.id
    special = make_application(admin, CandidateFactory(language="en"), special_opening)
    interview = make_interview(admin, special,
                               interviewers=[UserFactory(role="interviewer")])
    ctx.commit()
    return {"admin": admin, "default": default, "other": other, "plain": plain,
            "special": special, "interview": interview}


def _sign_in_candidate(client, ctx, settings, candidate):
    _l, token = issue_link(ctx, settings, candidate)
    ctx.commit()
    assert client.get(f"/c/{token}").status_code == 303


def test_first_brand_is_default_and_only_one_default(world, ctx):
    assert world["default"].is_default and not world["other"].is_default
    brands.set_default(ctx, world["admin"], world["other"].id)
    ctx.commit()
    defaults = ctx.scalars(select(Brand).where(Brand.is_default)).all()
    assert [b.id for b in defaults] == [world["other"].id]


def test_opening_brand_wins_on_its_pages_default_elsewhere(client, world, ctx, settings):
    special = world["special"]
    _sign_in_candidate(client, ctx, settings, special.candidate)
    page = client.get(f"/portal/applications/{special.id}")
    assert page.status_code == 200
    assert "Fjällvind Service" in page.text and "Nordljus Energi" not in page.text
    title = re.search(r"<title>(.*?)</title>", page.text).group(1)
    assert title.endswith("Wind technician · Fjällvind Service")
    assert 'href="mailto:per@fjallvind.example"' in page.text
    other = world["other"]
    assert f'/brand/{other.id}-{other.css_hash}.css' in page.text
    interview_page = client.get(f"/portal/interviews/{world['interview'].id}")
    assert "Fjällvind Service" in interview_page.text
    download = client.get(f"/portal/interviews/{world['interview'].id}/calendar.ics")
    event = Calendar.from_ical(download.data).walk("VEVENT")[0]
    assert "Fjällvind Service\nPer Berg <per@fjallvind.example>" in str(event["description"])
    # The overview is about no one opening: the default brand, with its logo.
    overview = client.get("/portal/")
    default = world["default"]
    assert 'alt="Nordljus Energi"' in overview.text
    assert f"/brand/logo/{default.id}-{default.logo_hash}.svg" in overview.text
    assert re.search(r"<title>[^<]* · Nordljus Energi</title>", overview.text)
    assert "Kandidatportal" not in overview.text and "Candidate portal" not in overview.text


def test_without_a_brand_the_portal_keeps_its_look(client, ctx, settings):
    recruiter = UserFactory()
    application = make_application(recruiter, CandidateFactory(language="en"))
    ctx.commit()
    _sign_in_candidate(client, ctx, settings, application.candidate)
    page = client.get("/portal/")
    assert "Candidate portal" in page.text and "/brand/" not in page.text


def test_opening_email_and_ics_carry_its_brand(world, ctx, settings):
    notify.send_invitation(ctx, settings, world["interview"])
    ctx.commit()
    mails = ctx.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "candidate_invitation")).all()
    assert len(mails) == 1
    mail = mails[0]
    assert mail.text_body.startswith("Fjällvind Service\n")
    assert "Hälsningar, Fjällvind" in mail.text_body  # the only sign-off: used in English
    assert "Per Berg" in mail.text_body and "per@fjallvind.example" in mail.text_body
    assert "background:#1d5e3a" in mail.html_body
    assert "Nordljus" not in mail.html_body + mail.text_body
    event = Calendar.from_ical(mail.ics).walk("VEVENT")[0]
    assert event["organizer"].params["cn"] == "Fjällvind Service"
    assert "Fjällvind Service" in str(event["description"])
    assert "Per Berg <per@fjallvind.example>" in str(event["description"])


def test_default_brand_in_other_emails_with_logo_and_sign_off(world, ctx, settings):
    from portal.messaging.services import render_email

    text, html = render_email("candidate_application", "en",
                              candidate=world["plain"].candidate,
                              opening=world["plain"].opening, link="https://x.example/c/t",
                              kind="new", until=None)
    default = world["default"]
    logo = f'{settings.base_url}/brand/logo/{default.id}-{default.logo_hash}.svg'
    assert f'src="{logo}"' in html and 'alt="Nordljus Energi"' in html
    assert "Warm regards, Nordljus" in html and "Warm regards, Nordljus" in text
    assert 'mailto:sara.ek@nordljus.example' in html


def test_staff_email_stays_plain(world, ctx, settings):
    notify.send_invitation(ctx, settings, world["interview"])
    ctx.commit()
    mails = ctx.scalars(select(OutboxMessage).where(
        OutboxMessage.kind.like("interviewer_%"))).all()
    assert len(mails) == 1
    assert "Fjällvind" not in mails[0].html_body + mails[0].text_body


def test_recruiters_may_not_open_the_brand_pages(client, login, ctx, world):
    recruiter = UserFactory(role="recruiter")
    ctx.commit()
    login(recruiter.email, PASSWORD)
    brand_id = world["default"].id
    assert client.get("/staff/brands/").status_code == 403
    assert client.get(f"/staff/brands/{brand_id}").status_code == 403
    page = client.get("/staff/openings")
    token = csrf_from(page.text)
    assert client.post(f"/staff/brands/{brand_id}", data={
        "csrf_token": token, "name": "Hacked"}).status_code == 403
    assert client.post(f"/staff/brands/{brand_id}/default",
                       data={"csrf_token": token}).status_code == 403
    db.session.expire_all()
    assert ctx.get(Brand, brand_id).name == "Nordljus Energi"


def test_signed_out_is_sent_to_login(client, world):
    assert client.get("/staff/brands/").status_code in (302, 303)


def _admin_client(client, login, world):
    login(world["admin"].email, PASSWORD)
    return client


def _post_file(client, url, fields, content, filename):
    """A multipart body built up front (the test client would spool a large one to a
    temporary file it never closes)."""
    boundary = "----brand-test-boundary"
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items())
    body += (f'--{boundary}\r\nContent-Disposition: form-data; name="logo"; '
             f'filename="{filename}"\r\nContent-Type: image/png\r\n\r\n').encode()
    body += content + f"\r\n--{boundary}--\r\n".encode()
    return client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def test_admin_form_refuses_low_contrast_and_bad_logo_inline(client, login, world, ctx):
    _admin_client(client, login, world)
    page = client.get("/staff/brands/new")
    assert page.status_code == 200
    token = csrf_from(page.text)
    bad_colour = client.post("/staff/brands/new", data={
        "csrf_token": token, "name": "Orange AB", "accent": "#e0550b"})
    assert bad_colour.status_code == 422
    assert "4.5:1" in bad_colour.text and 'id="accent-error"' in bad_colour.text
    bad_logo = client.post("/staff/brands/new", data={
        "csrf_token": token, "name": "Orange AB", "accent": "#0b5cad",
        "logo": (io.BytesIO(b"<svg"), "logo.svg")}, content_type="multipart/form-data")
    assert bad_logo.status_code == 422 and 'id="logo-error"' in bad_logo.text
    big = _post_file(client, "/staff/brands/new", {"csrf_token": token, "name": "Orange AB"},
                     b"\x89PNG" + b"\0" * (1024 * 1024 + 5), "big.png")
    assert big.status_code == 422 and "1 MB" in big.text
    assert ctx.scalar(select(Brand).where(Brand.name == "Orange AB")) is None


def test_swedish_error_for_a_swedish_admin(client, login, world):
    _admin_client(client, login, world)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "sv"
    client.post("/language", data={"lang": "sv", "next": "/staff/brands/new",
                                   "csrf_token": csrf_from(client.get("/staff/brands/new").text)})
    token = csrf_from(client.get("/staff/brands/new").text)
    page = client.post("/staff/brands/new", data={
        "csrf_token": token, "name": "Orange AB", "accent": "grön"})
    assert page.status_code == 422 and "hexkod" in page.text


def test_logo_and_css_are_cached_a_year_and_change_url_with_the_logo(client, login, world,
                                                                      ctx):
    brand = world["default"]
    first_logo = f"/brand/logo/{brand.id}-{brand.logo_hash}.svg"
    response = client.get(first_logo)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "image/svg+xml"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "style-src 'unsafe-inline'" in response.headers["Content-Security-Policy"]
    css = client.get(f"/brand/{brand.id}-{brand.css_hash}.css")
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert "--accent: #0b5cad" in css.text and "--on-accent: #ffffff" in css.text
    assert css.headers["Cache-Control"] == "public, max-age=31536000, immutable"

    _admin_client(client, login, world)
    token = csrf_from(client.get(f"/staff/brands/{brand.id}").text)
    saved = client.post(f"/staff/brands/{brand.id}", data={
        "csrf_token": token, "name": "Nordljus Energi", "accent": "#0a4f8f",
        "make_default": "y", "logo": (io.BytesIO(_png_with_exif((300, 100))), "logo.png")},
        content_type="multipart/form-data")
    assert saved.status_code == 303
    db.session.expire_all()
    brand = ctx.get(Brand, brand.id)
    new_logo = f"/brand/logo/{brand.id}-{brand.logo_hash}.png"
    assert new_logo != first_logo
    fresh = client.get(new_logo)
    assert fresh.status_code == 200 and fresh.mimetype == "image/png"
    assert b"SecretCam" not in fresh.data
    # The old address leads to the new file, and is not cached.
    old = client.get(first_logo)
    assert old.status_code == 302 and old.headers["Location"].endswith(new_logo)
    assert "immutable" not in old.headers["Cache-Control"]
    assert client.get(f"/brand/{brand.id}-{brand.css_hash}.css").text.count("#0a4f8f") == 1
    assert client.get("/brand/logo/999999-abc.png").status_code == 404


def test_opening_form_offers_the_brands(client, login, world, ctx):
    _admin_client(client, login, world)
    opening = world["plain"].opening
    page = client.get(f"/staff/openings/{opening.id}/edit")
    assert "Fjällvind Service" in page.text
    token = csrf_from(page.text)
    bogus = client.post(f"/staff/openings/{opening.id}/edit", data={
        "csrf_token": token, "title": opening.title, "language": "en", "response_days": "5",
        "brand_id": "999999"})
    assert bogus.status_code == 422
    saved = client.post(f"/staff/openings/{opening.id}/edit", data={
        "csrf_token": token, "title": opening.title, "language": "en", "response_days": "5",
        "brand_id": str(world["other"].id)})
    assert saved.status_code == 303
    db.session.expire_all()
    assert ctx.get(type(opening), opening.id).brand_id == world["other"].id


def test_admins_choosing_defaults_at_once_leave_exactly_one(app, ctx, world):
    """Rule 12: twenty admins' "Make default" at the same moment, over three brands: each
    takes its turn on the locked rows, none fails, and one default remains."""
    if ctx.get_bind().dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite runs one writer at a time")
    from portal.accounts.models import User
    from tests.concurrency.test_races import at_once

    third = brands.create_brand(ctx, world["admin"], brands.BrandInput(name="Tredje AB"))
    ctx.commit()
    ids = [world["default"].id, world["other"].id, third.id]
    admin_id = world["admin"].id

    def choose(i: int) -> int:
        with app.app_context():
            brands.set_default(db.session, db.session.get(User, admin_id), ids[i % 3])
            db.session.commit()
            db.session.remove()
        return 200

    assert at_once(20, choose) == [200] * 20
    db.session.expire_all()
    assert len(ctx.scalars(select(Brand).where(Brand.is_default)).all()) == 1
