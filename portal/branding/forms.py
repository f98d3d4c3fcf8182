"""The brand form (admins only)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from portal.forms import SingleLine


class BrandForm(FlaskForm):
    name = StringField(_l("Organisation name"), validators=[
        DataRequired(_l("Enter the organisation's name.")), Length(max=120), SingleLine()])
    logo = FileField(_l("Logo (PNG, JPEG or SVG, at most 1 MB)"))
    remove_logo = BooleanField(_l("Remove the logo"))
    accent = StringField(_l("Accent colour (hex code, e.g. #0b5cad)"),
                         validators=[Optional(), Length(max=7), SingleLine()])
    sign_off_sv = TextAreaField(_l("Sign-off of emails in Swedish"),
                                validators=[Optional(), Length(max=500)])
    sign_off_en = TextAreaField(_l("Sign-off of emails in English (empty: the Swedish one)"),
                                validators=[Optional(), Length(max=500)])
    contact_name = StringField(_l("Contact person"), validators=[
        Optional(), Length(max=120), SingleLine()])
    contact_email = EmailField(_l("Contact person's email"), validators=[
        Optional(), Email(_l("Enter a valid email address."), check_deliverability=False),
        Length(max=254)])
    contact_phone = StringField(_l("Contact person's phone (optional)"), validators=[
        Optional(), Length(max=40), SingleLine()])
    make_default = BooleanField(_l("The organisation's default brand"))
