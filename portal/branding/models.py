"""A brand: how the employer appears to candidates. One is the organisation's default; an
opening may name another (``opening.brand_id``) for an employer with several brands."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import Index, LargeBinary, String, Text, text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from portal.branding.colour import WHITE, text_on
from portal.extensions import db
from portal.timeutil import UTCDateTime, utcnow


class Brand(db.Model):
    """An employer brand. ``logo_hash`` fingerprints the logo's bytes: it is in the logo's
    URL, so a new logo gets a new URL and the old one may be cached for a year."""

    __tablename__ = "brand"
    __table_args__ = (
        # At most one default: the net under set_default's lock.
        Index("uq_brand_default", "is_default", unique=True,
              sqlite_where=text("is_default"), postgresql_where=text("is_default")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_type: Mapped[str] = mapped_column(String(40), default="", server_default="")
    logo_hash: Mapped[str] = mapped_column(String(16), default="", server_default="")
    # "#rrggbb", or empty for the portal's own colour.
    accent: Mapped[str] = mapped_column(String(7), default="", server_default="")
    # How emails end; the English one is used for English readers when given.
    sign_off_sv: Mapped[str] = mapped_column(Text, default="", server_default="")
    sign_off_en: Mapped[str] = mapped_column(Text, default="", server_default="")
    contact_name: Mapped[str] = mapped_column(String(120), default="", server_default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="", server_default="")
    is_default: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def has_logo(self) -> bool:
        return bool(self.logo_hash)

    @property
    def is_svg(self) -> bool:
        return self.logo_type == "image/svg+xml"

    @property
    def logo_extension(self) -> str:
        return {"image/svg+xml": "svg", "image/jpeg": "jpg"}.get(self.logo_type, "png")

    @property
    def on_accent(self) -> str:
        """The text colour on the accent (white or dark; checked when it was chosen)."""
        return (text_on(self.accent) if self.accent else None) or WHITE

    @property
    def css_hash(self) -> str:
        """The fingerprint of the brand's stylesheet (its colours)."""
        return hashlib.sha256(f"v1:{self.accent}".encode()).hexdigest()[:12]

    def sign_off(self, lang: str) -> str:
        """The sign-off in ``lang``; the Swedish one when no English one is given."""
        if lang == "en" and self.sign_off_en.strip():
            return self.sign_off_en
        return self.sign_off_sv or self.sign_off_en
