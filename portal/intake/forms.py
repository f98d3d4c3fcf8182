"""Forms of the public page and of the staff's import and merge pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, HiddenField, StringField, TelField
from wtforms.validators import DataRequired, Email, Length, Optional

from portal.forms import SingleLine


class PublicApplyForm(FlaskForm):
    name = StringField(_l("Your name"), validators=[
        DataRequired(_l("Enter your name.")),
        Length(max=120, message=_l("Keep your name under 120 characters.")), SingleLine()])
    email = EmailField(_l("Your email address"), validators=[
        DataRequired(_l("Enter your email address.")),
        Email(_l("Enter a valid email address, like name@example.com."),
              check_deliverability=False),
        Length(max=254, message=_l("The email address is too long."))])
    phone = TelField(_l("Phone number (optional)"), validators=[
        Optional(), Length(max=40, message=_l("Keep the phone number under 40 characters.")),
        SingleLine()])
    cv = FileField(_l("Your CV (PDF, at most 10 MB)"))
    consent = BooleanField(validators=[
        DataRequired(_l("Tick the box to say you have read the privacy notice."))])
    # Left empty by people (it is hidden from them and from screen readers); robots that
    # fill in every field fill this in too.
    website = StringField(_l("Leave this field empty"))
    stamp = HiddenField()


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"))
    invite = BooleanField(_l("Send each new candidate an invitation to the portal"))
    # The preview carries the file's text back, so the import checks exactly what was shown.
    content = HiddenField()
