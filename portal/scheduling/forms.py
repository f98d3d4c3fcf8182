"""Forms of the availability page. Passwords and private calendar addresses are typed
into password fields, which never render a value back."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, PasswordField, SelectField, StringField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.forms import SaneDate

WEEKDAY_NAMES = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"),
                 _l("Saturday"), _l("Sunday"))
WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class HoursForm(FlaskForm):
    """Time zone and, per weekday: worked or not, start, end, an optional break."""

    timezone = SelectField(_l("Your time zone"), validate_choice=False,
                           validators=[DataRequired(_l("Choose a time zone."))])


for _key in WEEKDAY_KEYS:
    setattr(HoursForm, f"{_key}_on", BooleanField(_l("Works this day")))
    setattr(HoursForm, f"{_key}_start", TimeField(_l("From"), validators=[Optional()]))
    setattr(HoursForm, f"{_key}_end", TimeField(_l("To"), validators=[Optional()]))
    setattr(HoursForm, f"{_key}_break_start", TimeField(_l("Break from"),
                                                        validators=[Optional()]))
    setattr(HoursForm, f"{_key}_break_end", TimeField(_l("Break to"), validators=[Optional()]))


class DayOffForm(FlaskForm):
    day = DateField(_l("Day off"), validators=[InputRequired(_l("Choose a date.")), SaneDate()])


class CaldavForm(FlaskForm):
    url = StringField(_l("CalDAV server address"), validators=[
        DataRequired(_l("Enter the address of the CalDAV server.")), Length(max=1000)])
    username = StringField(_l("User name"), validators=[Optional(), Length(max=200)])
    password = PasswordField(_l("Password (an app password, if your provider has them)"),
                             validators=[Optional(), Length(max=500)])
    calendar = StringField(_l("Calendar name (optional; asked for when the account has "
                              "several)"), validators=[Optional(), Length(max=1000)])


class IcsForm(FlaskForm):
    ics_url = PasswordField(_l("Private ICS address (free/busy or calendar)"), validators=[
        DataRequired(_l("Paste the private address of your calendar.")), Length(max=1000)])


class ChooseCalendarForm(FlaskForm):
    calendar = SelectField(_l("Calendar"), validate_choice=False,
                           validators=[DataRequired(_l("Choose a calendar."))])
