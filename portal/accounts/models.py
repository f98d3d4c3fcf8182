"""Staff users and their server-side sessions."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.extensions import db
from portal.timeutil import UTCDateTime, utcnow


class Role(enum.StrEnum):
    """What a staff member may do. Admins manage users; recruiters run hiring rounds;
    interviewers see the interviews they sit on."""

    ADMIN = "admin"
    RECRUITER = "recruiter"
    INTERVIEWER = "interviewer"


# What a role is called on a page; the stored value is the key.
ROLE_LABELS = {
    Role.ADMIN.value: _l("Admin"),
    Role.RECRUITER.value: _l("Recruiter"),
    Role.INTERVIEWER.value: _l("Interviewer"),
}


class User(UserMixin, db.Model):
    """A staff member who signs in to the back office."""

    __tablename__ = "staff_user"
    __table_args__ = (UniqueConstraint("sso_issuer", "sso_subject",
                                       name="uq_staff_user_sso_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default=Role.RECRUITER.value)
    language: Mapped[str] = mapped_column(String(2), default="en")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Two-factor sign-in (TOTP): the shared secret, encrypted (accounts.twofactor); it is
    # kept while being set up and counts only once ``totp_enabled_at`` is set. The last
    # time step a code was accepted for, so no code works twice.
    totp_secret: Mapped[str | None] = mapped_column(Text)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    # What candidates read beside the name on the interview page ("Teknisk chef"), and the
    # content hash of the photo (accounts.photos), which is also its address: a new photo
    # is a new URL, so browsers may keep each one for good. The bytes live in staff_photo.
    title: Mapped[str] = mapped_column(String(120), default="", server_default="")
    photo_key: Mapped[str | None] = mapped_column(String(16))
    # Single sign-on: the OpenID provider (issuer) and its subject this account is linked
    # to. An issuer never reuses a subject, so the pair names one person for good.
    sso_issuer: Mapped[str | None] = mapped_column(String(500))
    sso_subject: Mapped[str | None] = mapped_column(String(255))

    sessions: Mapped[list[StaffSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        if self.password_hash.startswith("!"):  # invited, no password set yet
            return False
        return check_password_hash(self.password_hash, password)

    # Flask-Login's UserMixin compares users by get_id(), which here is the session id:
    # every user not signed in would equal every other. The identity map keeps one object
    # per row, so identity is the right equality.
    __eq__ = object.__eq__
    __ne__ = object.__ne__
    __hash__ = object.__hash__

    def get_id(self) -> str | None:
        """Flask-Login keeps the server-side session id, not the user id, in the cookie."""
        return getattr(self, "session_id", None)

    @property
    def is_active(self) -> bool:  # Flask-Login reads this
        return self.active

    @property
    def can_manage_hiring(self) -> bool:
        return self.role in (Role.ADMIN, Role.RECRUITER)

    @property
    def role_label(self) -> str:
        """The role in the reader's language."""
        return str(ROLE_LABELS.get(self.role, self.role))

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None


class StaffPhoto(db.Model):
    """A staff member's photo: a 256 x 256 JPEG we made ourselves (accounts.photos), with
    nothing of the uploaded file's metadata. Its own table, so loading a user never loads
    the picture."""

    __tablename__ = "staff_photo"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(16))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StaffSession(db.Model):
    """One signed-in browser. Deleting the row ends that session for good, even if
    someone kept a copy of the cookie."""

    __tablename__ = "staff_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="sessions")


class StaffToken(db.Model):
    """A single-use link to set a password: an invitation or a reset. Only a hash of the
    token is kept, so a copy of the database opens nothing."""

    __tablename__ = "staff_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))  # invite, reset
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RecoveryCode(db.Model):
    """A single-use code to sign in when the authenticator app is not at hand. Only a
    hash is kept; the codes are shown once, when two-factor sign-in is turned on."""

    __tablename__ = "staff_recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class StaffPolicy(db.Model):
    """Rules for every staff account that admins set on the People page: one row
    (id 1), made when first changed."""

    __tablename__ = "staff_policy"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    require_two_factor: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SsoProvider(db.Model):
    """The one OpenID Connect provider staff may sign in with (id 1), set by admins.
    The client secret is stored encrypted; ``default_role`` None means only existing
    accounts may sign in. ``required`` turns password sign-in off for everyone."""

    __tablename__ = "sso_provider"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    enabled: Mapped[bool] = mapped_column(default=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret: Mapped[str | None] = mapped_column(Text)  # Fernet token
    button_label: Mapped[str] = mapped_column(String(80))
    default_role: Mapped[str | None] = mapped_column(String(20))
    allowed_domains: Mapped[str] = mapped_column(Text, default="")  # one a line, lower case
    required: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
