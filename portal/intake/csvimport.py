"""Importing many candidates into an opening's first stage from a CSV file.

The file is read and checked in full first (the preview): every row gets its problems in
words, and a row whose address is already a candidate's is linked to the opening (or
skipped, when they are in it already). The import itself checks again and writes all rows
or none, in one transaction.

Format: UTF-8 (with or without the byte-order mark Excel writes), comma- or
semicolon-separated (Swedish Excel writes semicolons), a header row naming the columns
``name``, ``email``, ``phone``, ``language`` (sv or en) and optionally ``note``; Swedish
headers (namn, e-post, telefon, språk, anteckning) work too.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.accounts.models import User
from portal.errors import DomainError
from portal.hiring.models import Application, Candidate, Opening
from portal.hiring.services import require_manager
from portal.locks import lock
from portal.privacy.services import audit
from portal.process.lifecycle import apply as lifecycle_apply
from portal.settings import Settings
from portal.text import has_control_chars

MAX_BYTES = 256 * 1024
MAX_ROWS = 500
SOURCE_IMPORT = "import"
_HEADERS = {"name": "name", "namn": "name", "email": "email", "e-mail": "email",
            "e-post": "email", "epost": "email", "mejl": "email", "phone": "phone",
            "telefon": "phone", "language": "language", "språk": "language", "sprak": "language",
            "note": "note", "anteckning": "note", "notes": "note"}
_LIMITS = {"name": 120, "email": 254, "phone": 40, "note": 2000}
_EMAIL = re.compile(r"^[^@\s,;<>\"]+@[^@\s,;<>\"]+\.[^@\s,;<>\".]{2,}$")


@dataclass
class Row:
    line: int
    name: str = ""
    email: str = ""
    phone: str = ""
    language: str = ""
    note: str = ""
    errors: list[str] = field(default_factory=list)
    # "new" (a new candidate), "link" (a candidate already: added to the opening) or
    # "skip" (already in this opening).
    status: str = "new"
    candidate_id: int | None = None


@dataclass
class Preview:
    rows: list[Row] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # about the file as a whole

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows) and not any(r.errors for r in self.rows)

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.rows if r.errors)

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status and not r.errors)


def decode(data: bytes) -> str:
    """The file's text: UTF-8, the byte-order mark dropped. DomainError otherwise."""
    if len(data) > MAX_BYTES:
        raise DomainError(_l("The file is larger than %(kb)d kB. Split it into smaller files.",
                             kb=MAX_BYTES // 1024), field="file")
    if not data.strip():
        raise DomainError(_l("The file is empty."), field="file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError(_l("The file is not UTF-8 text. In Excel, save it as “CSV UTF-8”."),
                          field="file") from None
    if "\x00" in text:
        raise DomainError(_l("The file is not a CSV file."), field="file")
    return text


def read(db: Session, opening: Opening, text: str) -> Preview:
    """Parse and check every row; nothing is written."""
    preview = Preview()
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, [])
        columns = [_HEADERS.get(h.strip().lower()) for h in header]
        missing = [c for c in ("name", "email") if c not in columns]
        if missing:
            preview.problems.append(str(_l(
                "The first row must name the columns: name, email, phone, language and "
                "optionally note. Missing: %(columns)s.", columns=", ".join(missing))))
            return preview
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if len(preview.rows) >= MAX_ROWS:
                preview.problems.append(str(_l(
                    "The file has more than %(n)d rows. Split it into smaller files.",
                    n=MAX_ROWS)))
                preview.rows = []
                return preview
            row = Row(line=reader.line_num)
            for name, value in zip(columns, cells, strict=False):
                if name:
                    setattr(row, name, value.strip())
            preview.rows.append(row)
    except csv.Error:
        preview.problems.append(str(_l("The file could not be read as CSV. Check that it "
                                       "is saved as CSV and try again.")))
        return preview
    if not preview.rows:
        preview.problems.append(str(_l("The file has no candidates in it.")))
        return preview
    _check(db, opening, preview)
    return preview


def _check(db: Session, opening: Opening, preview: Preview) -> None:
    seen: dict[str, int] = {}
    for row in preview.rows:
        row.email = row.email.lower()
        if not row.name:
            row.errors.append(str(_l("The name is missing.")))
        if not row.email:
            row.errors.append(str(_l("The email address is missing.")))
        elif not _EMAIL.match(row.email):
            row.errors.append(str(_l("“%(email)s” is not a valid email address.",
                                     email=row.email[:80])))
        elif row.email in seen:
            row.errors.append(str(_l("The same email address as row %(line)d.",
                                     line=seen[row.email])))
        else:
            seen[row.email] = row.line
        for name, limit in _LIMITS.items():
            if len(getattr(row, name)) > limit:
                row.errors.append(str(_l("The %(column)s is too long (at most %(n)d "
                                         "characters).", column=_column_word(name), n=limit)))
        if any(has_control_chars(getattr(row, n)) for n in ("name", "email", "phone")):
            row.errors.append(str(_l("The row has line breaks or control characters.")))
        row.language = row.language.lower()
        if row.language in ("svenska", "swedish"):
            row.language = "sv"
        elif row.language in ("engelska", "english"):
            row.language = "en"
        if row.language and row.language not in ("sv", "en"):
            row.errors.append(str(_l("The language must be sv or en, not “%(value)s”.",
                                     value=row.language[:20])))
    emails = [r.email for r in preview.rows if r.email and not r.errors]
    known: dict[str, int] = {}
    for start in range(0, len(emails), 200):
        known.update(db.execute(select(Candidate.email, Candidate.id).where(
            Candidate.email.in_(emails[start:start + 200]))).all())
    inside = set(db.scalars(select(Application.candidate_id).where(
        Application.opening_id == opening.id, Application.candidate_id.in_(known.values())))
    ) if known else set()
    for row in preview.rows:
        if row.email in known:
            row.candidate_id = known[row.email]
            row.status = "skip" if row.candidate_id in inside else "link"


def _column_word(name: str) -> str:
    return str({"name": _l("name"), "email": _l("email address"), "phone": _l("phone number"),
                "note": _l("note")}[name])


def run(db: Session, settings: Settings, actor: User, opening: Opening, text: str,
        invite: bool) -> Preview:
    """Import every row, or none: a file with any problem is refused whole (DomainError).
    New candidates are made, known ones linked, and every new application starts in the
    first stage with source "import"; with ``invite`` each gets their portal link."""
    require_manager(actor)
    if opening.archived:
        raise DomainError(_l("This opening is archived."))
    lock(db, opening)  # two imports into one opening run one after the other
    preview = read(db, opening, text)
    if not preview.ok:
        raise DomainError(_l("Nothing was imported: the file has problems. Fix them and try "
                             "again."))
    from portal.hiring.conversation import StaffNote

    for row in preview.rows:
        if row.status == "skip":
            continue
        if row.candidate_id is None:
            candidate = Candidate(name=row.name, email=row.email, phone=row.phone,
                                  language=row.language or opening.language,
                                  timezone=settings.default_timezone, timezone_source="default")
            db.add(candidate)
            db.flush()
            row.candidate_id = candidate.id
        else:
            candidate = db.get(Candidate, row.candidate_id)  # type: ignore[assignment]
        application = lifecycle_apply(db, actor, candidate, opening)
        application.source = SOURCE_IMPORT
        if row.note:
            db.add(StaffNote(candidate_id=candidate.id, author_id=actor.id, body=row.note))
        audit(db, "imported", candidate.id, "staff", actor.id)
        if invite:
            from portal.intake.public import queue_application_email

            queue_application_email(db, settings, candidate, opening, "invited", application)
    return preview
