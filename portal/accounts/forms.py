"""Staff login and user administration forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
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
