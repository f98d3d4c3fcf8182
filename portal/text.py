"""Name-like text: one line of printable characters.

Names (a candidate's, a referee's, a staff member's), round names, opening titles, stage
names and competency names end up in email headers (To, Subject), calendar files and CSV
cells, where a line break or another control character either breaks the message or
smuggles in a header. Forms refuse them (``portal.forms.SingleLine``), services refuse them
again (``require_single_line``) for every caller that is not a form, and the mail worker
flattens whatever is left (``one_line``) before it writes a header.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l

from portal.errors import DomainError

# Cc: C0 controls (tab, CR, LF, NUL, ESC ...), DEL and C1 controls (NEL ...);
# Zl/Zp: the Unicode line and paragraph separators, which some readers break lines on.
_BAD_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})
_RUNS_OF_SPACE = re.compile(r"\s+")

CONTROL_MESSAGE = _l("Use one line of ordinary text: no line breaks, tabs or control characters.")


def has_control_chars(value: str | None) -> bool:
    """True when ``value`` holds a line break, tab or another control character."""
    return bool(value) and any(
        unicodedata.category(ch) in _BAD_CATEGORIES for ch in value  # type: ignore[union-attr]
    )


def require_single_line(**fields: str | None) -> None:
    """Raise DomainError (on the first offending field) if any value is not one plain line.
    Call it in a service with the name-like fields it is about to store."""
    for name, value in fields.items():
        if has_control_chars(value):
            raise DomainError(CONTROL_MESSAGE, field=name)


def one_line(value: str | None) -> str:
    """``value`` with every control character turned into a space and runs of white space
    collapsed: safe to put in a mail header whatever was stored."""
    if not value:
        return ""
    cleaned = "".join(" " if unicodedata.category(ch) in _BAD_CATEGORIES else ch
                      for ch in value)
    return _RUNS_OF_SPACE.sub(" ", cleaned).strip()
