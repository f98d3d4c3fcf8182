"""Forms of self-scheduling: the recruiter's booking request and the candidate's
adjustments."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.booking.adjustments import ADJUSTMENT_KINDS
from portal.forms import SaneDate, SingleLine, choices, coerce_id, optional_id


class RequestForm(FlaskForm):
    round_name = StringField(_l("Round"), validators=[
        DataRequired(_l("Name the round, e.g. First interview.")), Length(max=120),
        SingleLine()])
    duration_minutes = IntegerField(_l("Length (minutes)"), default=45, validators=[
        InputRequired(_l("Enter the length in minutes.")),
        NumberRange(10, 480, _l("The length must be between 10 and 480 minutes."))])
    interviewer_ids = SelectMultipleField(
        _l("Interviewers"), coerce=coerce_id, validate_choice=False,
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    panel = RadioField(_l("Who sits on each interview"), default="all", choices=choices([
        ("all", _l("Everyone chosen above must be free")),
        ("any", _l("Any of them: the number below"))]))
    required = IntegerField(_l("How many interviewers on each interview"), default=1,
                            validators=[Optional(), NumberRange(1, 20)])
    window_from = DateField(_l("First day"), validators=[
        InputRequired(_l("Choose a date.")), SaneDate()])
    window_to = DateField(_l("Last day"), validators=[
        InputRequired(_l("Choose a date.")), SaneDate()])
    notice_hours = IntegerField(_l("Minimum notice (hours)"), default=24, validators=[
        InputRequired(), NumberRange(0, 24 * 14)])
    buffer_before_minutes = IntegerField(_l("Free time before each interview (minutes)"),
                                         default=0, validators=[InputRequired(),
                                                                NumberRange(0, 240)])
    buffer_after_minutes = IntegerField(_l("Free time after each interview (minutes)"),
                                        default=15, validators=[InputRequired(),
                                                                NumberRange(0, 240)])
    per_day_limit = IntegerField(_l("Most interviews per interviewer a day"), default=3,
                                 validators=[Optional(), NumberRange(1, 20)])
    platform = SelectField(_l("Video platform"), validate_choice=False)
    meeting_url = StringField(_l("Meeting link for every booking"),
                              validators=[Optional(), Length(max=1000)])
    create_jitsi_room = BooleanField(_l("Create a private Jitsi Meet room for each booking"),
                                     default=True)
    cutoff_hours = IntegerField(_l("Candidates may change or cancel themselves up to this "
                                   "many hours before"), default=24,
                                validators=[InputRequired(), NumberRange(0, 24 * 14)])
    kit_id = SelectField(_l("Interview kit (questions and scorecard)"), coerce=optional_id,
                         validate_choice=False)
    what_to_expect = TextAreaField(
        _l("What to expect (who they meet, agenda, length, what happens after)"),
        validators=[Optional(), Length(max=5000)])
    preparation = TextAreaField(_l("Preparation instructions"),
                                validators=[Optional(), Length(max=5000)])
    application_ids = SelectMultipleField(
        _l("Candidates"), coerce=coerce_id, validate_choice=False,
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


class AdjustmentForm(FlaskForm):
    adjustments = SelectMultipleField(
        _l("What would help you?"), validate_choice=False,
        choices=choices(list(ADJUSTMENT_KINDS.items())),
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    note = TextAreaField(_l("In your own words (optional)"), validators=[
        Optional(), Length(max=2000, message=_l("Keep the message under 2,000 characters."))])
