"""Staff login and user administration forms."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    FileField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length

from portal.accounts.models import ROLE_LABELS
from portal.forms import SingleLine, choices


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[
        DataRequired(_l("Enter your email address.")), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password.")), Length(max=200)])


class InviteForm(FlaskForm):
    """An admin invites a colleague, who sets their own password from the email."""
    name = StringField(_l("Name"), validators=[
        DataRequired(_l("Enter a name.")), Length(max=120), SingleLine()])
    email = EmailField(_l("Email"), validators=[
        DataRequired(_l("Enter an email address.")),
        Email(_l("Enter a valid email address."), check_deliverability=False), Length(max=254)])
    role = SelectField(_l("Role"), choices=choices(ROLE_LABELS.items()))
    language = SelectField(_l("Language"), choices=choices(
        [("sv", _l("Swedish")), ("en", _l("English"))]))


class ForgotForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[
        DataRequired(_l("Enter your email address.")), Length(max=254)])


class SetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Enter a password.")),
        Length(min=10, max=200, message=_l("The password must be at least 10 characters."))])


class UserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[
        DataRequired(_l("Enter a name.")), Length(max=120), SingleLine()])
    email = EmailField(_l("Email"), validators=[
        DataRequired(_l("Enter an email address.")),
        Email(_l("Enter a valid email address."), check_deliverability=False), Length(max=254)])
    role = SelectField(_l("Role"), choices=choices(ROLE_LABELS.items()))
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter a password.")),
        Length(min=10, max=200, message=_l("The password must be at least 10 characters."))])


class CodeForm(FlaskForm):
    """The second step of signing in: a code from the app, or a recovery code."""
    code = StringField(_l("Code"), validators=[
        DataRequired(_l("Enter the code from your app.")), Length(max=40)])


class DisableTwoFactorForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password.")), Length(max=200)])
    code = StringField(_l("Code from your app or a recovery code"), validators=[
        DataRequired(_l("Enter the code from your app.")), Length(max=40)])


class SsoProviderForm(FlaskForm):
    """An admin sets up the OpenID Connect provider staff sign in with."""
    issuer = StringField(_l("Issuer URL"), validators=[
        DataRequired(_l("Enter the provider's address.")), Length(max=500), SingleLine()])
    client_id = StringField(_l("Client ID"), validators=[
        DataRequired(_l("Enter the client ID.")), Length(max=255), SingleLine()])
    # Never shown again once saved: left empty, the stored secret is kept.
    client_secret = PasswordField(_l("Client secret"), validators=[Length(max=1000)])
    button_label = StringField(_l("Text on the sign-in button"), validators=[
        DataRequired(_l("Enter the text of the button.")), Length(max=80), SingleLine()])
    # Choices made per request (__init__): the role goes mid-sentence, in lower case.
    default_role = SelectField(_l("New accounts on first sign-in"), choices=[])
    allowed_domains = TextAreaField(_l("Allowed email domains"), validators=[
        Length(max=2000)])
    required = BooleanField(_l("Require single sign-on (password sign-in is turned off for "
                               "everyone)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.default_role.choices = choices(
            [("", _("Do not create any"))]
            + [(value, _("Create with the role %(role)s", role=str(label).lower()))
               for value, label in ROLE_LABELS.items()])


class ProfileForm(FlaskForm):
    """What candidates see of a staff member: a job title and a photo (accounts.photos
    checks the file; a form validator would read it twice)."""
    title = StringField(_l("Job title"), validators=[Length(max=120), SingleLine()])
    photo = FileField(_l("Photo"))
