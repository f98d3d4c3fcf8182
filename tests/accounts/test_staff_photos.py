"""Staff titles and photos: an upload is re-made as a small square WebP without any of
the original's metadata; non-pictures and large files are refused in words; only staff
and the candidates who meet the person see the photo; the interview page shows the
panel's names, titles and faces."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from portal.accounts import photos
from portal.accounts.models import StaffPhoto, User
from portal.links.services import issue_link
from tests.conftest import csrf_from
from tests.factories import (
    PASSWORD,
    CandidateFactory,
    UserFactory,
    make_application,
    make_interview,
)

GPS_IFD = 0x8825
ORIENTATION = 0x0112
MAKE = 0x010F


def _camera_photo() -> bytes:
    """A landscape JPEG as a phone writes it: stored sideways with Orientation 6 (turn
    90 degrees clockwise to show), a camera make and a GPS position. Left half red,
    right half blue: upright, red is on top."""
    image = Image.new("RGB", (800, 400), (220, 30, 30))
    image.paste((30, 30, 220), (400, 0, 800, 400))
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[MAKE] = "SecretCam"
    exif[GPS_IFD] = {1: "N", 2: (59.0, 51.0, 30.0), 3: "E", 4: (17.0, 38.0, 12.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=95)
    data = out.getvalue()
    original = Image.open(io.BytesIO(data)).getexif()
    assert original[ORIENTATION] == 6 and original.get_ifd(GPS_IFD)  # the test file is real
    return data


def _png(size: tuple[int, int] = (300, 500)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (10, 150, 60, 255)).save(out, "PNG")
    return out.getvalue()


def _upload(client, data: bytes, filename: str = "me.jpg", title: str = "Teknisk chef",
            url: str = "/staff/account/profile", page: str = "/staff/account") -> object:
    """A multipart body built up front (the test client would spool a large one to a
    temporary file it never closes)."""
    token = csrf_from(client.get(page).text)
    boundary = "----portal-test-boundary"
    parts = b""
    for name, value in (("csrf_token", token), ("title", title)):
        parts += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                  f"{value}\r\n").encode()
    parts += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"photo\"; "
              f"filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
              ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return client.post(url, data=parts,
                       content_type=f"multipart/form-data; boundary={boundary}")


@pytest.fixture()
def maria(ctx, client, login):
    """An interviewer, signed in on ``client``."""
    user = UserFactory(email="maria@example.com", name="Maria Chef", role="interviewer")
    ctx.commit()
    login("maria@example.com", PASSWORD)
    return user


def _photo_url(ctx, user_id: int, face: str = "staff") -> str:
    ctx.expire_all()
    user = ctx.get(User, user_id)
    assert user.photo_key
    prefix = "/staff" if face == "staff" else "/portal"
    return f"{prefix}/people/{user.id}/photo/{user.photo_key}.webp"


def test_upload_turns_upright_crops_resizes_and_strips_metadata(client, maria, ctx):
    response = _upload(client, _camera_photo())
    assert response.status_code == 303
    ctx.expire_all()
    user = ctx.get(User, maria.id)
    assert user.title == "Teknisk chef"
    stored = ctx.scalar(select(StaffPhoto).where(StaffPhoto.user_id == user.id))
    assert stored.key == user.photo_key

    served = client.get(_photo_url(ctx, user.id))
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/webp"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in served.headers["Cache-Control"]
    assert "private" in served.headers["Cache-Control"]
    body = served.get_data()
    assert body == stored.data
    image = Image.open(io.BytesIO(body))
    assert image.format == "WEBP" and image.size == (photos.SIZE, photos.SIZE)
    # No metadata at all: no EXIF block, so no orientation, camera or position.
    assert dict(image.getexif()) == {}
    assert b"Exif" not in body and b"SecretCam" not in body
    assert "icc_profile" not in image.info
    # Turned upright before cropping: red on top, blue below.
    rgb = image.convert("RGB")
    side = photos.SIZE
    top, bottom = rgb.getpixel((side // 2, side // 8)), rgb.getpixel((side // 2, side * 7 // 8))
    assert top[0] > 150 and top[2] < 90, top
    assert bottom[2] > 150 and bottom[0] < 90, bottom


def test_a_new_photo_is_a_new_address_and_the_old_one_is_gone(client, maria, ctx):
    _upload(client, _camera_photo())
    first = _photo_url(ctx, maria.id)
    assert _upload(client, _png()).status_code == 303
    second = _photo_url(ctx, maria.id)
    assert first != second
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    assert len(ctx.scalars(select(StaffPhoto)).all()) == 1


def test_non_picture_and_too_large_file_are_refused_in_swedish(client, maria, ctx):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "sv"
    response = _upload(client, b"#!/bin/sh\necho hello\n", filename="photo.jpg")
    assert response.status_code == 422
    assert "Filen är ingen bild som vi kan läsa" in response.text
    assert 'aria-invalid="true"' in response.text

    fake_gif = b"GIF89a" + b"\x00" * 64  # the right magic number, nothing after it
    response = _upload(client, fake_gif, filename="photo.gif")
    assert response.status_code == 422
    assert "Filen är ingen bild som vi kan läsa" in response.text

    big = _png((40, 40)) + b"\x00" * (5 * 1024 * 1024)
    response = _upload(client, big, filename="huge.png")
    assert response.status_code == 422
    assert "Fotot är för stort. Välj ett som är högst 5 MB." in response.text
    ctx.expire_all()
    user = ctx.get(User, maria.id)
    assert user.photo_key is None and user.title == ""  # nothing kept from a refused form
    assert ctx.scalars(select(StaffPhoto)).all() == []


def test_removal_takes_the_photo_and_its_address_away(client, maria, ctx):
    _upload(client, _png())
    url = _photo_url(ctx, maria.id)
    page = client.get("/staff/account")
    assert url in page.text
    response = client.post("/staff/account/photo/remove",
                           data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 303
    ctx.expire_all()
    assert ctx.get(User, maria.id).photo_key is None
    assert ctx.scalars(select(StaffPhoto)).all() == []
    assert client.get(url).status_code == 404
    assert "Remove photo" not in client.get("/staff/account").text


def test_an_admin_sets_a_colleagues_title_and_photo_others_may_not(app, client, login, ctx):
    UserFactory(email="admin@example.com", role="admin")
    johan = UserFactory(email="johan@example.com", name="Johan Utvecklare", role="interviewer")
    UserFactory(email="rec@example.com", role="recruiter")
    ctx.commit()
    login("admin@example.com", PASSWORD)
    assert f"/staff/users/{johan.id}/profile" in client.get("/staff/users").text
    url = f"/staff/users/{johan.id}/profile"
    assert _upload(client, _png(), title="Senior utvecklare", url=url, page=url
                   ).status_code == 303
    ctx.expire_all()
    assert ctx.get(User, johan.id).title == "Senior utvecklare"
    assert ctx.get(User, johan.id).photo_key

    other = app.test_client()
    page = other.get("/staff/login")
    other.post("/staff/login", data={"email": "rec@example.com", "password": PASSWORD,
                                     "csrf_token": csrf_from(page.text)})
    assert other.get(url).status_code == 403
    assert other.post(f"/staff/users/{johan.id}/photo/remove",
                      data={"csrf_token": csrf_from(other.get("/staff/account").text)}
                      ).status_code == 403
    ctx.expire_all()
    assert ctx.get(User, johan.id).photo_key


@pytest.fixture()
def panel_world(app, ctx, settings, client, maria):
    """Maria (photo, title) and Bo (no photo) sit on Anna's interview; Karin, with a photo
    too, sits on Olle's only."""
    _upload(client, _camera_photo(), title="Teknisk chef")
    recruiter = UserFactory(role="recruiter")
    bo = UserFactory(name="Bo Ek", role="interviewer", title="Utvecklare")
    karin = UserFactory(name="Karin Lund", role="interviewer", title="Designchef")
    ctx.commit()
    from portal.accounts import photos

    photos.set_photo(ctx, karin, _png())
    ctx.commit()
    maria_user = ctx.get(User, maria.id)
    anna = make_interview(recruiter, make_application(recruiter, CandidateFactory(
        name="Anna Andersson", language="sv")), interviewers=[maria_user, bo])
    olle = make_interview(recruiter, make_application(recruiter, CandidateFactory(
        name="Olle Berg")), interviewers=[karin])
    _l, anna_token = issue_link(ctx, settings, anna.application.candidate)
    _l, olle_token = issue_link(ctx, settings, olle.application.candidate)
    ctx.commit()
    anna_client, olle_client = app.test_client(), app.test_client()
    assert anna_client.get(f"/c/{anna_token}").status_code == 303
    assert olle_client.get(f"/c/{olle_token}").status_code == 303
    return {"anna": (anna_client, anna), "olle": (olle_client, olle), "maria": maria_user,
            "bo": bo, "karin": karin}


def test_photo_address_opens_for_staff_and_the_panels_candidates_only(app, client, ctx,
                                                                      panel_world):
    maria, karin = panel_world["maria"], panel_world["karin"]
    anna_client, _ = panel_world["anna"]
    olle_client, _ = panel_world["olle"]
    for_candidates = _photo_url(ctx, maria.id, "candidate")
    assert anna_client.get(for_candidates).status_code == 200
    assert olle_client.get(for_candidates).status_code == 404  # Olle does not meet Maria
    assert olle_client.get(_photo_url(ctx, karin.id, "candidate")).status_code == 200
    assert anna_client.get(_photo_url(ctx, karin.id, "candidate")).status_code == 404
    assert client.get(_photo_url(ctx, karin.id)).status_code == 200  # any staff member
    assert client.get(_photo_url(ctx, maria.id)).status_code == 200
    # A wrong key is not found either, even for someone who may see the photo.
    assert anna_client.get(f"/portal/people/{maria.id}/photo/0123456789abcdef.webp"
                           ).status_code == 404
    # The candidate face does not open the staff address, nor a stranger either.
    assert anna_client.get(_photo_url(ctx, maria.id)).status_code in (302, 303)
    nobody = app.test_client()  # no session of either kind
    assert nobody.get(for_candidates).status_code in (302, 303)


def test_interview_page_shows_the_panel_with_titles_and_faces(ctx, panel_world):
    anna_client, anna = panel_world["anna"]
    olle_client, olle = panel_world["olle"]
    maria, bo, karin = panel_world["maria"], panel_world["bo"], panel_world["karin"]
    page = anna_client.get(f"/portal/interviews/{anna.id}").text
    assert "Du träffar" in page
    assert "Maria Chef" in page and "Teknisk chef" in page
    assert "Bo Ek" in page and "Utvecklare" in page
    maria_url = _photo_url(ctx, maria.id, "candidate")
    assert re.search(rf'<img class="avatar avatar-md" src="{re.escape(maria_url)}" '
                     r'alt="Foto på Maria Chef"', page)
    # Bo has no photo: his initials, hidden from screen readers (his name is beside them).
    assert re.search(r'<span class="avatar avatar-md avatar-initials avatar-c\d" '
                     r'aria-hidden="true">BE</span>', page)
    # Karin sits on Olle's panel only: nothing of her on Anna's page, and the other way.
    assert "Karin Lund" not in page and "Designchef" not in page
    other = olle_client.get(f"/portal/interviews/{olle.id}").text
    assert "Karin Lund" in other and "Designchef" in other
    assert "Maria Chef" not in other and "Teknisk chef" not in other
    assert "Bo Ek" not in other
    assert bo.id != karin.id


def test_header_card_says_when_in_swedish_with_countdown_and_join_button(ctx, panel_world):
    anna_client, anna = panel_world["anna"]
    page = anna_client.get(f"/portal/interviews/{anna.id}").text
    head = page[page.index('class="card when interview-head'):page.index('id="who-h"')]
    assert re.search(r'<span class="when-time">kl\. \d\d\.\d\d–\d\d\.\d\d</span>', head)
    assert "Börjar om" in head and "data-countdown-announce" in head
    assert "join-button" in head and anna.meeting_url in head


def test_uploads_at_once_leave_one_photo_that_matches_its_key(app, client, maria, ctx):
    """Rule 12: eight tabs upload eight different photos at the same moment. Each waits
    for the others on the user's row; what is left is one photo whose key is the one on
    the user (PostgreSQL; SQLite runs one writer at a time)."""
    from tests.concurrency.test_races import at_once, clones

    if ctx.get_bind().dialect.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite runs one writer at a time")
    tabs = clones(app, client, 8)
    pictures = [_png((200 + 10 * i, 300)) for i in range(8)]
    for i, picture in enumerate(pictures):  # eight different pictures, eight keys
        image = Image.open(io.BytesIO(picture)).convert("RGB")
        image.paste((20 * i, 0, 255 - 20 * i), (0, 0, 100, 100))
        out = io.BytesIO()
        image.save(out, "PNG")
        pictures[i] = out.getvalue()
    codes = at_once(8, lambda i: _upload(tabs[i], pictures[i]).status_code)
    assert codes == [303] * 8
    ctx.expire_all()
    rows = ctx.scalars(select(StaffPhoto)).all()
    assert len(rows) == 1
    user = ctx.get(User, maria.id)
    assert rows[0].key == user.photo_key
    from portal.accounts.photos import photo_key

    assert photo_key(rows[0].data) == user.photo_key
    assert client.get(_photo_url(ctx, maria.id)).get_data() == rows[0].data
