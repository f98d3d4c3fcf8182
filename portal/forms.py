"""Small helpers shared by the forms of every face."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from wtforms.fields.choices import SelectChoice

MAX_ID = 2**31 - 1  # PostgreSQL's INTEGER; a larger number cannot name a row


def coerce_id(value: object) -> int:
    """A database id from a form: a whole number that fits the column, or ValueError
    (WTForms turns that into a field error instead of a failed query)."""
    number = int(str(value))
    if not 0 < number <= MAX_ID:
        raise ValueError("not an id")
    return number


def optional_id(value: object) -> int | None:
    """Like ``coerce_id``, but an empty choice means none."""
    return None if value in ("", None, "None") else coerce_id(value)


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value=value, label=label) for value, label in pairs]
