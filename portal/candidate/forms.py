"""Candidate forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional


class NewLinkForm(FlaskForm):
    email = EmailField(_l("Your email address"), validators=[
        DataRequired(_l("Enter the email address we have been writing to.")),
        Email(_l("Enter a valid email address, like name@example.com."),
              check_deliverability=False),
        Length(max=254)])


class ResponseForm(FlaskForm):
    answer = HiddenField(validators=[DataRequired()])
    message = TextAreaField(_l("Which days and times suit you better?"), validators=[
        Optional(), Length(max=2000, message=_l("Keep the message under 2,000 characters."))])


class TimezoneForm(FlaskForm):
    timezone = SelectField(_l("Time zone"), validate_choice=False)
    source = HiddenField(default="candidate")
