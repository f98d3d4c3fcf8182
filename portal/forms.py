"""Small helpers shared by the forms of every face."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms.fields.choices import SelectChoice
from wtforms.validators import StopValidation, ValidationError

from portal.text import CONTROL_MESSAGE, has_control_chars

MAX_ID = 2**31 - 1  # PostgreSQL's INTEGER; a larger number cannot name a row


def coerce_id(value: object) -> int:
    """A database id from a form: a whole number that fits the column, or ValueError
    (WTForms turns that into a field error instead of a failed query)."""
    number = int(str(value))
    if not 0 < number <= MAX_ID:
        raise ValueError("not an id")
    return number


def parse_int(value: object, default: int | None = None) -> int | None:
    """A whole number from a query string or form that fits an INTEGER column, or
    ``default`` (never an exception: "²" passes ``str.isdigit`` but not ``int``)."""
    try:
        number = int(str(value).strip())
    except ValueError:
        return default
    return number if -MAX_ID <= number <= MAX_ID else default


def optional_id(value: object) -> int | None:
    """Like ``coerce_id``, but an empty choice means none."""
    return None if value in ("", None, "None") else coerce_id(value)


class SingleLine:
    """Validator for name-like fields (names, titles, round and stage names): refuse line
    breaks, tabs and other control characters, which would end up in mail headers."""

    def __call__(self, form: Any, field: Any) -> None:
        if isinstance(field.data, str) and has_control_chars(field.data):
            raise ValidationError(str(CONTROL_MESSAGE))


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]


class SaneDate:
    """Validator for typed dates: within the bounds of ``portal.timeutil.is_sane_date``
    (from 2000 to about five years ahead), so a year 9999 never reaches the database."""

    def __call__(self, form: Any, field: Any) -> None:
        from portal.errors import DomainError
        from portal.timeutil import require_sane_date

        try:
            require_sane_date(field.data)
        except DomainError as exc:
            raise StopValidation(str(exc.message)) from None
