"""Staff titles and photos: what candidates see of the people they meet.

An uploaded photo is never kept as sent. Pillow reads it, turns it upright (EXIF
orientation), crops the middle square, scales it to 192 x 192 and writes a fresh WebP:
no EXIF, GPS position, camera serial or colour profile of the original survives. The
content hash of that picture is its key and part of its address, so a browser may cache
each photo for good and a new photo is simply a new address."""

from __future__ import annotations

import hashlib
import io
import warnings
from typing import IO

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import StaffPhoto, User
from portal.errors import DomainError
from portal.text import require_single_line
from portal.timeutil import utcnow

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 50_000_000  # a 50-megapixel camera; more is a decompression bomb
SIZE = 192  # shown at up to 96 CSS pixels, so sharp on screens of 2x
FORMATS = ("JPEG", "PNG", "WEBP", "GIF")
MAX_TITLE = 120


def _not_a_picture() -> DomainError:
    return DomainError(_l("That file is not a picture we can read. Choose a photo in JPEG, "
                          "PNG or WebP format."), field="photo")


def read_upload(stream: IO[bytes]) -> bytes:
    """The bytes of an uploaded file, refusing one over the limit without reading it all.
    Raises DomainError."""
    data = stream.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise DomainError(_l("The photo is too large. Choose one of at most 5 MB."),
                          field="photo")
    if not data:
        raise _not_a_picture()
    return data


def make_portrait(data: bytes) -> bytes:
    """A square 192 x 192 WebP (about a third of a JPEG's bytes) from an uploaded picture,
    upright and without metadata.
    Raises DomainError for anything that is not a picture Pillow reads."""
    if len(data) > MAX_PHOTO_BYTES:
        raise DomainError(_l("The photo is too large. Choose one of at most 5 MB."),
                          field="photo")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise _not_a_picture()
                image.seek(0)  # the first frame of an animation
                image.load()
                upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _not_a_picture() from exc
    if upright.mode in ("RGBA", "LA", "PA") or (
            upright.mode == "P" and "transparency" in upright.info):
        # Transparent parts on white, as the picture would look on a page.
        rgba = upright.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        upright = flat
    square = ImageOps.fit(upright.convert("RGB"), (SIZE, SIZE), Image.Resampling.LANCZOS,
                          centering=(0.5, 0.5))
    out = io.BytesIO()
    # No exif= and no icc_profile=: Pillow writes none, so nothing of the original's
    # metadata is carried over.
    square.save(out, "WEBP", quality=75, method=6)
    return out.getvalue()


def photo_key(jpeg: bytes) -> str:
    return hashlib.sha256(jpeg).hexdigest()[:16]


def _lock(db: Session, user: User) -> None:
    """Two uploads at once (a double click, two tabs) wait for each other on the user's
    row, so the photo and its key always belong together."""
    db.execute(select(User.id).where(User.id == user.id).with_for_update())


def set_photo(db: Session, user: User, data: bytes) -> str:
    """Make ``data`` (an uploaded picture) the photo of ``user``; returns its key.
    Raises DomainError for a file that is no picture or too large."""
    jpeg = make_portrait(data)
    key = photo_key(jpeg)
    _lock(db, user)
    row = db.get(StaffPhoto, user.id, populate_existing=True)
    if row is None:
        db.add(StaffPhoto(user_id=user.id, key=key, data=jpeg, updated_at=utcnow()))
    else:
        row.key, row.data, row.updated_at = key, jpeg, utcnow()
    user.photo_key = key
    return key


def remove_photo(db: Session, user: User) -> None:
    """No photo any more: candidates see the initials instead."""
    _lock(db, user)
    db.execute(StaffPhoto.__table__.delete().where(StaffPhoto.user_id == user.id))
    user.photo_key = None


def set_title(user: User, title: str) -> None:
    """The job title candidates read beside the name. Raises DomainError."""
    title = (title or "").strip()
    require_single_line(title=title)
    if len(title) > MAX_TITLE:
        raise DomainError(_l("Keep the title to %(n)d characters.", n=MAX_TITLE),
                          field="title")
    user.title = title


def photo(db: Session, user_id: int, key: str) -> bytes | None:
    """The picture of ``user_id`` when ``key`` is its current key, else None."""
    row = db.get(StaffPhoto, user_id)
    if row is None or row.key != key:
        return None
    return row.data

