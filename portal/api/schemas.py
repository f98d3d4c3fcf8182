"""What the API reads and writes (marshmallow), and so what its OpenAPI document says."""

from __future__ import annotations

from datetime import UTC

import marshmallow as ma
from marshmallow import fields, validate

from portal.forms import MAX_ID
from portal.platforms.links import PLATFORM_KEYS
from portal.timeutil import all_zones

# Names: one line of ordinary text (as ``portal.text.require_single_line``), starting with
# a visible character. (Lone surrogates, which no database stores, are refused before any
# schema: ``setup``.)
_LINE = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
ONE_LINE = rf"^[^\s{_LINE}][^{_LINE}]*$"
ONE_LINE_OR_EMPTY = rf"^([^\s{_LINE}][^{_LINE}]*)?$"

Id = ma.fields.Integer


class SameAs(fields.DateTime):
    """A datetime read from another attribute (``updated_at`` where a row has only its
    creation time): the order lists are paged in."""

    def __init__(self, source: str, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.source = source

    def get_value(self, obj: object, attr: str, accessor: object = None,
                  default: object = ma.missing) -> object:
        return getattr(obj, self.source)


class JsonInteger(fields.Integer):
    """A JSON integer: a number without a fraction (1 and 1.0, as JSON Schema has it), never
    a string of digits or a boolean."""

    def _deserialize(self, value: object, attr: object, data: object, **kw: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float) or (
                isinstance(value, float) and not value.is_integer()):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kw)  # type: ignore[no-any-return]


def id_field(strict: bool = True, **kw: object) -> fields.Integer:
    """A row id: a JSON integer in a body, text of digits in a query."""
    cls = JsonInteger if strict else fields.Integer
    return cls(validate=validate.Range(min=1, max=MAX_ID), **kw)


def query_id() -> fields.Integer:
    return id_field(strict=False)


class ListArgs(ma.Schema):
    """Paging for every list: an opaque cursor from the previous page, the page size, and
    only rows changed since a moment."""

    cursor = fields.String(validate=validate.Length(max=200),
                           metadata={"description": "next_cursor of the previous page"})
    limit = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))
    updated_since = fields.AwareDateTime(default_timezone=UTC, metadata={
        "description": "only rows changed at or after this moment (ISO 8601)"})


class ApplicationListArgs(ListArgs):
    opening_id = query_id()
    candidate_id = query_id()


class OpeningListArgs(ListArgs):
    archived = fields.Boolean()


class StageListArgs(ListArgs):
    opening_id = query_id()


class ByApplicationArgs(ListArgs):
    application_id = query_id()


class ByOpeningArgs(ListArgs):
    opening_id = query_id()


class PoolArgs(ma.Schema):
    q = fields.String(load_default="", validate=validate.Length(max=200))
    skill = fields.String(load_default="", validate=validate.Length(max=80))
    location = fields.String(load_default="", validate=validate.Length(max=80))
    language = fields.String(load_default="", validate=validate.Length(max=80))
    limit = fields.Integer(load_default=25, validate=validate.Range(min=1, max=50))


class Page(ma.Schema):
    next_cursor = fields.String(allow_none=True, required=True, metadata={
        "description": "pass as cursor for the next page; null on the last page"})


def page_of(item: type[ma.Schema], name: str) -> type[ma.Schema]:
    return type(name, (Page,), {"data": fields.List(fields.Nested(item), required=True)})


class StageOut(ma.Schema):
    id = fields.Integer(required=True)
    opening_id = fields.Integer(required=True)
    position = fields.Integer(required=True)
    name = fields.String(required=True)
    public_name_en = fields.String(required=True)
    public_name_sv = fields.String(required=True)
    kind = fields.String(required=True, metadata={
        "enum": ["open", "hired", "not_selected", "withdrawn"]})


class OpeningOut(ma.Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    team = fields.String(required=True)
    description = fields.String(required=True)
    language = fields.String(required=True)
    archived = fields.Boolean(required=True)
    published = fields.Boolean(required=True)
    response_days = fields.Integer(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = SameAs("created_at", required=True)
    stages = fields.List(fields.Nested(StageOut), required=True)


class CandidateOut(ma.Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    phone = fields.String(required=True)
    language = fields.String(required=True)
    timezone = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = SameAs("created_at", required=True)
    application_ids = fields.Method("_application_ids", required=True,
                                    metadata={"type": "array", "items": {"type": "integer"}})

    def _application_ids(self, obj: object) -> list[int]:
        return [a.id for a in obj.applications]  # type: ignore[attr-defined]


class CandidateIn(ma.Schema):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=120),
                                                  validate.Regexp(ONE_LINE)])
    email = fields.Email(required=True, validate=[validate.Length(max=254),
                                                  validate.Regexp(ONE_LINE)])
    phone = fields.String(load_default="", validate=[validate.Length(max=40),
                                                     validate.Regexp(ONE_LINE_OR_EMPTY)])
    language = fields.String(load_default="sv", validate=validate.OneOf(["sv", "en"]))
    timezone = fields.String(load_default="Europe/Stockholm",
                             validate=validate.OneOf(sorted(all_zones())))


class ApplicationOut(ma.Schema):
    id = fields.Integer(required=True)
    candidate_id = fields.Integer(required=True)
    opening_id = fields.Integer(required=True)
    stage_id = fields.Integer(required=True)
    stage_name = fields.String(required=True, attribute="stage.name")
    stage_kind = fields.String(required=True, attribute="stage.kind")
    source = fields.String(required=True)
    next_step_by = fields.Date(required=True, allow_none=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    closed_at = fields.DateTime(required=True, allow_none=True)


class ApplicationIn(ma.Schema):
    """Either an existing candidate's id or a new candidate's details."""

    opening_id = id_field(required=True)
    candidate_id = id_field()
    candidate = fields.Nested(CandidateIn)

    @ma.validates_schema
    def _one_candidate(self, data: dict[str, object], **_kw: object) -> None:
        if ("candidate_id" in data) == ("candidate" in data):
            raise ma.ValidationError("Give either candidate_id or candidate.",
                                     field_name="candidate_id")


class StageMoveIn(ma.Schema):
    stage_id = id_field(required=True)
    reason = fields.String(load_default="", validate=validate.Length(max=2000))
    expected_stage_id = id_field(metadata={
        "description": "refuse (409) if the application has moved from this stage meanwhile"})


class InterviewOut(ma.Schema):
    id = fields.Integer(required=True)
    application_id = fields.Integer(required=True)
    round_name = fields.String(required=True)
    starts_at = fields.DateTime(required=True)
    duration_minutes = fields.Integer(required=True)
    platform = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["scheduled", "cancelled"]})
    response = fields.String(required=True, metadata={
        "enum": ["none", "confirmed", "reschedule"]})
    stage_id = fields.Integer(required=True, allow_none=True)
    interviewer_ids = fields.Method("_panel", required=True,
                                    metadata={"type": "array", "items": {"type": "integer"}})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)

    def _panel(self, obj: object) -> list[int]:
        return [u.id for u in obj.interviewers]  # type: ignore[attr-defined]


class InterviewIn(ma.Schema):
    """A new interview round, as a recruiter schedules one."""

    application_id = id_field(required=True)
    round_name = fields.String(required=True, validate=[validate.Length(min=1, max=120),
                                                        validate.Regexp(ONE_LINE)])
    starts_at = fields.AwareDateTime(required=True, metadata={
        "description": "with its zone or offset; in the future"})
    duration_minutes = JsonInteger(load_default=45, validate=validate.Range(min=10, max=480))
    platform = fields.String(required=True, validate=validate.OneOf(PLATFORM_KEYS))
    meeting_url = fields.String(validate=validate.Length(max=1000), metadata={
        "description": "the guest link; left out with jitsi, a new private room is made"})
    what_to_expect = fields.String(load_default="", validate=validate.Length(max=5000))
    preparation = fields.String(load_default="", validate=validate.Length(max=5000))
    interviewer_ids = fields.List(id_field(), load_default=list,
                                  validate=validate.Length(max=20))
    kit_id = id_field()
    stage_id = id_field()
    send_invitation = fields.Boolean(load_default=False, metadata={
        "description": "send the invitation (join link, calendar file) now"})


class BookingRequestOut(ma.Schema):
    id = fields.Integer(required=True)
    opening_id = fields.Integer(required=True)
    round_name = fields.String(required=True)
    duration_minutes = fields.Integer(required=True)
    window_starts_at = fields.DateTime(required=True)
    window_ends_at = fields.DateTime(required=True)
    platform = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = SameAs("created_at", required=True)
    withdrawn_at = fields.DateTime(required=True, allow_none=True)
    offers = fields.Method("_offers", required=True, metadata={"type": "array", "items": {
        "type": "object", "properties": {
            "id": {"type": "integer"}, "application_id": {"type": "integer"},
            "status": {"type": "string"},
            "interview_id": {"type": ["integer", "null"]}}}})

    def _offers(self, obj: object) -> list[dict[str, object]]:
        return [{"id": o.id, "application_id": o.application_id, "status": o.status,
                 "interview_id": o.interview_id}
                for o in obj.offers]  # type: ignore[attr-defined]


class DecisionOut(ma.Schema):
    id = fields.Integer(required=True)
    application_id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": ["advance", "reject", "offer"]})
    reason = fields.String(required=True)
    decided_by_id = fields.Integer(required=True)
    decided_at = fields.DateTime(required=True)
    updated_at = SameAs("decided_at", required=True)


class RatingOut(ma.Schema):
    competency_id = fields.Integer(required=True)
    rating = fields.Integer(required=True, allow_none=True)
    notes = fields.String(required=True)


class ScorecardContent(ma.Schema):
    recommendation = fields.String(required=True)
    notes = fields.String(required=True)
    ratings = fields.List(fields.Nested(RatingOut), required=True)


class ScorecardOut(ma.Schema):
    id = fields.Integer(required=True)
    interview_id = fields.Integer(required=True)
    interviewer_id = fields.Integer(required=True)
    kit_id = fields.Integer(required=True)
    submitted = fields.Boolean(required=True)
    submitted_at = fields.DateTime(required=True, allow_none=True)
    updated_at = fields.DateTime(required=True)
    content = fields.Nested(ScorecardContent, required=True, allow_none=True, metadata={
        "description": "null until the independence rule lets it be read (submitted)"})


class PoolProfileOut(ma.Schema):
    id = fields.Integer(required=True)
    candidate_id = fields.Integer(required=True)
    name = fields.String(required=True, attribute="candidate.name")
    skills = fields.String(required=True)
    location = fields.String(required=True)
    languages = fields.String(required=True)
    tags = fields.String(required=True)
    stage_name = fields.String(required=True)
    best_score = fields.Float(required=True, allow_none=True)


class PoolResults(ma.Schema):
    data = fields.List(fields.Nested(PoolProfileOut), required=True)
