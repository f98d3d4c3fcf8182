"""The candidate's form for naming a referee."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from portal.forms import SingleLine, choices


class RefereeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Enter the person's name.")),
                                               Length(max=120), SingleLine()])
    relation = StringField(_l("How you know each other (e.g. my manager at Acme)"),
                           validators=[DataRequired(_l("Say how you know each other.")),
                                       Length(max=120), SingleLine()])
    email = EmailField(_l("Email"), validators=[
        DataRequired(_l("Enter an email address.")),
        Email(_l("Enter a valid email address."), check_deliverability=False), Length(max=254)])
    phone = StringField(_l("Phone (optional)"), validators=[Optional(), Length(max=40)])
    language = SelectField(_l("Language for the questions"),
                           choices=choices([("sv", _l("Swedish")), ("en", _l("English"))]))
    consent = BooleanField(_l("I agree that you may contact this person about me."))
