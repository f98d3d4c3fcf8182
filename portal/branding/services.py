"""Brands: create, change, choose the default, and find the brand a page or email shows.

The brand of the opening a page or email is about wins; else the organisation's default;
with no brand at all the portal keeps its own look."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.branding.colour import normalise_hex, text_on
from portal.branding.logos import Logo
from portal.branding.models import Brand
from portal.errors import DomainError, Forbidden, NotFound

# ---------------------------------------------------------------- colour

def brand_css(brand: Brand) -> str:
    """The brand's stylesheet: its colours as custom properties (portal.css uses them)."""
    if not brand.accent:
        return "/* no brand colour: the portal's own */\n"
    return f":root {{ --accent: {brand.accent}; --on-accent: {brand.on_accent}; }}\n"


# ---------------------------------------------------------------- changes

@dataclass(frozen=True)
class BrandInput:
    """What the brand form carries; ``logo`` None keeps the current logo."""

    name: str
    accent: str = ""
    sign_off_sv: str = ""
    sign_off_en: str = ""
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    logo: Logo | None = None
    remove_logo: bool = False
    make_default: bool = False


def _must_be_admin(actor: User) -> None:
    if not actor.is_admin:
        raise Forbidden(_l("Only admins can change brands."))


def _checked_accent(value: str) -> str:
    if not value.strip():
        return ""
    colour = normalise_hex(value)
    if colour is None:
        raise DomainError(_l("Write the colour as a hex code, e.g. #0b5cad."), field="accent")
    if text_on(colour) is None:
        raise DomainError(_l(
            "Text on this colour would be hard to read: neither white nor dark text reaches "
            "a contrast of 4.5:1. Choose a darker or a lighter shade."), field="accent")
    return colour


def _apply(brand: Brand, data: BrandInput) -> None:
    brand.name = data.name.strip()
    brand.accent = _checked_accent(data.accent)
    brand.sign_off_sv = data.sign_off_sv.strip()
    brand.sign_off_en = data.sign_off_en.strip()
    brand.contact_name = data.contact_name.strip()
    brand.contact_email = data.contact_email.strip()
    brand.contact_phone = data.contact_phone.strip()
    if data.logo is not None:
        brand.logo, brand.logo_type, brand.logo_hash = (
            data.logo.data, data.logo.content_type, data.logo.digest)
    elif data.remove_logo:
        brand.logo, brand.logo_type, brand.logo_hash = None, "", ""


def _lock_all(db: Session) -> None:
    """Lock every brand row, always in id order: two admins choosing a default at once
    take turns instead of deadlocking."""
    db.scalars(select(Brand.id).order_by(Brand.id).with_for_update()).all()


def _make_default(db: Session, brand: Brand) -> None:
    """Move the default to ``brand`` (every row locked first; the partial unique index is
    the net under it). Both changes are plain UPDATEs: the copy of ``brand`` in memory may
    be older than the lock, and a flag it already shows as set would write nothing."""
    _lock_all(db)
    db.execute(update(Brand).where(Brand.is_default, Brand.id != brand.id)
               .values(is_default=False))
    db.execute(update(Brand).where(Brand.id == brand.id).values(is_default=True))
    db.expire(brand, ["is_default"])


def create_brand(db: Session, actor: User, data: BrandInput) -> Brand:
    """A new brand; the first one becomes the default."""
    _must_be_admin(actor)
    brand = Brand(name="")
    _apply(brand, data)
    db.add(brand)
    db.flush()
    if data.make_default or default_brand(db) is None:
        _make_default(db, brand)
    return brand


def update_brand(db: Session, actor: User, brand_id: int, data: BrandInput) -> Brand:
    """Change a brand (its row locked while we do: two admins saving at once take turns)."""
    _must_be_admin(actor)
    if data.make_default:
        _lock_all(db)  # before the brand's own row, in the same order as everyone
    brand = db.scalars(select(Brand).where(Brand.id == brand_id).with_for_update()).first()
    if brand is None:
        raise NotFound(_l("No such brand."))
    _apply(brand, data)
    if data.make_default and not brand.is_default:
        _make_default(db, brand)
    return brand


def set_default(db: Session, actor: User, brand_id: int) -> Brand:
    """Make ``brand_id`` the organisation's default brand."""
    _must_be_admin(actor)
    brand = db.get(Brand, brand_id)
    if brand is None:
        raise NotFound(_l("No such brand."))
    _make_default(db, brand)
    return brand


# ---------------------------------------------------------------- reading

def all_brands(db: Session) -> list[Brand]:
    """Every brand, the default first, then by name."""
    return list(db.scalars(select(Brand).order_by(Brand.is_default.desc(), Brand.name,
                                                  Brand.id)))


def get_brand(db: Session, brand_id: int) -> Brand:
    brand = db.get(Brand, brand_id)
    if brand is None:
        raise NotFound(_l("No such brand."))
    return brand


def default_brand(db: Session) -> Brand | None:
    return db.scalars(select(Brand).where(Brand.is_default).limit(1)).first()


def brand_for_opening(db: Session, opening: Any) -> Brand | None:
    """The brand ``opening`` names, else the default (``opening`` may be None)."""
    brand_id = getattr(opening, "brand_id", None)
    if brand_id:
        brand = db.get(Brand, brand_id)
        if brand is not None:
            return brand
    return default_brand(db)


def opening_of(values: Any) -> Any:
    """The opening a page or email is about, found among the objects it was given
    (``opening``, ``application``, ``interview``, ``invite``), or None."""
    opening = values.get("opening")
    if opening is not None and hasattr(opening, "brand_id"):
        return opening
    for key, path in (("application", ("opening",)), ("interview", ("application", "opening")),
                      ("invite", ("opening",))):
        item = values.get(key)
        for step in path:
            item = getattr(item, step, None) if item is not None else None
        if item is not None and hasattr(item, "brand_id"):
            return item
    return None


def contact_line(brand: Brand) -> str:
    """The contact person on one line: "Name <email>, phone" (for calendar files)."""
    parts = [brand.contact_name]
    if brand.contact_email:
        parts.append(f"<{brand.contact_email}>")
    line = " ".join(p for p in parts if p)
    if brand.contact_phone:
        line = f"{line}, {brand.contact_phone}" if line else brand.contact_phone
    return line
