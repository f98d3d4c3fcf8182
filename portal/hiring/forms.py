"""Back-office forms for openings, candidates, applications and interviews."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.forms import SaneDate, SingleLine, choices, coerce_id, optional_id

LANGUAGE_CHOICES = [("sv", _l("Swedish")), ("en", _l("English"))]


class OpeningForm(FlaskForm):
    title = StringField(_l("Title"), validators=[
        DataRequired(_l("Give the opening a title.")), Length(max=200), SingleLine()])
    team = StringField(_l("Team"), validators=[Optional(), Length(max=120), SingleLine()])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])
    language = SelectField(_l("Language of the opening"), choices=choices(LANGUAGE_CHOICES))
    response_days = IntegerField(_l("Answer every candidate within (working days)"), default=5,
                                 validators=[Optional(),
                                             NumberRange(1, 30, _l("Between 1 and 30 days."))])
    reference_questions = TextAreaField(
        _l("Questions for referees, one per line (empty: our standard questions)"),
        validators=[Optional(), Length(max=5000)])
    # The view offers the active recruiters and admins; alone, the form knows only "nobody".
    recruiter_id = SelectField(_l("Responsible recruiter"), coerce=optional_id,
                               choices=choices([("", _l("Nobody in particular"))]),
                               validators=[Optional()], validate_choice=True)
    # The view offers the brands; alone, the form knows only the default.
    brand_id = SelectField(_l("Brand candidates see"), coerce=optional_id,
                           choices=choices([("", _l("The organisation's default brand"))]),
                           validators=[Optional()], validate_choice=True)
    published = BooleanField(_l("Published: anyone with the link can read the opening and "
                                "apply on its public page"))


class StageForm(FlaskForm):
    name = StringField(_l("Internal name"),
                       validators=[DataRequired(), Length(max=80), SingleLine()])
    public_name_en = StringField(_l("Name candidates see (English)"),
                                 validators=[DataRequired(), Length(max=80), SingleLine()])
    public_name_sv = StringField(_l("Name candidates see (Swedish)"),
                                 validators=[DataRequired(), Length(max=80), SingleLine()])
    entry_message = SelectField(_l("Message to the candidate on entering this stage"),
                                choices=choices([
                                    ("", _l("None")),
                                    ("next_round", _l("Invitation to the next round")),
                                    ("offer", _l("Offer"))]))


class CandidateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[
        DataRequired(_l("Enter the candidate's name.")), Length(max=120), SingleLine()])
    email = EmailField(_l("Email"), validators=[
        DataRequired(_l("Enter the candidate's email address.")),
        Email(_l("Enter a valid email address."), check_deliverability=False), Length(max=254)])
    phone = StringField(_l("Phone (optional)"), validators=[Optional(), Length(max=40)])
    language = SelectField(_l("Language"), choices=choices(LANGUAGE_CHOICES))
    timezone = SelectField(_l("Time zone"), validate_choice=False,
                           validators=[DataRequired(_l("Choose a time zone."))])


class ApplicationForm(FlaskForm):
    opening_id = SelectField(_l("Opening"), coerce=coerce_id, validate_choice=False)


class MoveForm(FlaskForm):
    stage_id = SelectField(_l("Stage"), coerce=coerce_id, validate_choice=False)
    next_step_by = DateField(_l("Next step by"), validators=[Optional()])


class InterviewForm(FlaskForm):
    round_name = StringField(_l("Round"), validators=[
        DataRequired(_l("Name the round, e.g. First interview.")), Length(max=120),
        SingleLine()])
    date = DateField(_l("Date"), validators=[InputRequired(_l("Choose a date.")), SaneDate()])
    time = TimeField(_l("Start time"), validators=[InputRequired(_l("Choose a start time."))])
    timezone = SelectField(_l("Time zone of the date and time above"), validate_choice=False)
    duration_minutes = IntegerField(_l("Length (minutes)"), default=45, validators=[
        InputRequired(_l("Enter the length in minutes.")),
        NumberRange(10, 480, _l("The length must be between 10 and 480 minutes."))])
    platform = SelectField(_l("Video platform"), validate_choice=False)
    meeting_url = StringField(_l("Meeting link"), validators=[Optional(), Length(max=1000)])
    create_jitsi_room = BooleanField(_l("Create a private Jitsi Meet room for me"))
    interviewer_ids = SelectMultipleField(
        _l("Interviewers"), coerce=coerce_id, validate_choice=False,
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    kit_id = SelectField(_l("Interview kit (questions and scorecard)"), coerce=optional_id,
                         validate_choice=False)
    stage_id = SelectField(_l("Process stage"),
                           coerce=optional_id, validate_choice=False)
    what_to_expect = TextAreaField(
        _l("What to expect (who they meet, agenda, length, what happens after)"),
        validators=[Optional(), Length(max=5000)])
    preparation = TextAreaField(_l("Preparation instructions"),
                                validators=[Optional(), Length(max=5000)])
