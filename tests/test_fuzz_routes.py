"""Every route of both faces, with generated values for its path, query and form
parameters, signed in as each staff role and as a candidate: never a 5xx.

One example is one pass over every rule of ``app.url_map`` (GET and POST where the rule
takes them, POSTs with a valid CSRF token). The default profile makes a couple of passes per
role so CI stays within its budget; ``--hypothesis-profile=long`` makes many more."""

from __future__ import annotations

import inspect
import io
import json
import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask_wtf import FlaskForm
from hypothesis import Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from portal.extensions import db, limiter
from portal.timeutil import utcnow
from tests.factories import (
    PASSWORD,
    CandidateFactory,
    UserFactory,
    make_application,
    make_interview,
    make_opening,
    move_to,
)

ROOT = Path(__file__).resolve().parents[1]
ROLES = ("admin", "recruiter", "interviewer", "candidate")
SKIP = frozenset({"static"})
# These end or replace the session (or the person, or the account) the pass runs under: they
# go last, and the next pass signs in again.
LAST = ("hiring.revoke_links", "hiring.toggle_user", "hiring.erase_candidate", "candidate.erase",
        "accounts.logout", "candidate.sign_out_view", "candidate.open_link", "referee.open_link")

# The names of the parameters the app reads, besides those found in its source below.
COMMON_NAMES = (
    "q", "next", "back", "stage_id", "opening_id", "interview", "copy_from", "decision", "kind",
    "reason", "answer", "message", "timezone", "source", "lang", "confirm", "action", "when",
    "send_date", "send_time", "subject", "body", "personal_line", "why", "until", "date",
    "time", "next_step_by", "candidate", "size", "page", "status", "email", "name", "label",
)
HTMX_TARGETS = ("candidate-rows", "experience", "message-fields", "message-compose", "pipeline",
                "pool-results", "response", "save-status", "week", "calendar-feed", "nowhere")

_GET = re.compile(r"""\.(?:form|args|values|files)\.get(?:list)?\(\s*f?["']([\w-]+)""")
_FORM_CLASS = re.compile(r"\b(\w+Form)\(")


def _forms() -> dict[str, type[FlaskForm]]:
    seen: dict[str, type[FlaskForm]] = {}
    todo = list(FlaskForm.__subclasses__())
    while todo:
        cls = todo.pop()
        seen[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return seen


def _form_fields(cls: type[FlaskForm]) -> list[str]:
    return [name for name in dir(cls) if not name.startswith("_")
            and type(getattr(cls, name, None)).__name__ == "UnboundField"]


def _names_of(view: Any, forms: dict[str, type[FlaskForm]]) -> list[str]:
    """The parameter names a view reads: ``request.*.get("x")`` and its forms' fields."""
    try:
        source = inspect.getsource(inspect.unwrap(view))
    except (OSError, TypeError):
        return []
    names = set(_GET.findall(source))
    for form_name in _FORM_CLASS.findall(source):
        if form_name in forms:
            names.update(_form_fields(forms[form_name]))
    return sorted(names)


def _all_names() -> list[str]:
    """Every parameter name read anywhere in the app, plus the common ones."""
    names = set(COMMON_NAMES)
    for path in (ROOT / "portal").rglob("*.py"):
        names.update(_GET.findall(path.read_text(encoding="utf-8")))
    for cls in _forms().values():
        names.update(_form_fields(cls))
    return sorted(names)


# ---------------------------------------------------------------- values

_TOMORROW = (utcnow() + timedelta(days=1)).date().isoformat()
ODD = (
    "", "0", "-1", "1", "2", str(2**31 - 1), str(2**31), "99999999999999999999",
    "-99999999999999999999", "1e309", "NaN", "inf", "-inf", "0x10", " 1 ", "1.5",
    "9999-12-31", "0001-01-01", "1900-02-29", "2000-01-01", _TOMORROW, "2999-01-01",
    "10:00", "25:99", "23:59", "y", "on", "yes", "true", "send", "later", "now", "preview",
    "skip", "save", "draft", "submit", "join", "extend", "withdraw", "leave", "confirmed",
    "declined", "reschedule", "advance", "reject", "offer", "reject_screening", "next_round",
    "sv", "en", "xx", "Europe/Stockholm", "UTC", "Mars/Olympus", "../../etc/passwd",
    "/\\evil.example", "//evil.example", "https://evil.example/", "/portal/\r\nX: y",
    "/staff/\nx", "javascript:alert(1)", "{role:d}", "{name:{personal_line}}",
    "{role:>99999999}", "{role!r}", "{role.__class__}", "{role[0]}", "{", "}", "{}", "{name}",
    "⑴ ㈠ ﷺ", "(1) & | ! : * ' \\", "'\"<script>alert(1)</script>", "=HYPERLINK(\"x\")",
    "zoom", "teams", "jitsi", "https://zoom.us/j/12345678901", "a" * 5000, "å" * 300,
    "\u202e\u200b\ufeff", "\r\n", "\t",
)


def text_values() -> st.SearchStrategy[str]:
    """Any text: unicode, control characters (NUL included), long."""
    return st.text(max_size=60) | st.text(
        alphabet=st.characters(codec="utf-8", categories=["Cc", "Zs", "P", "S", "N"]),
        max_size=30)


def values(ids: list[int]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(ODD),
        st.sampled_from([str(i) for i in ids] or ["1"]),
        st.integers(-(2**80), 2**80).map(str),
        text_values(),
    )


def _mostly(real: list[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A real value four times in five (so the request reaches the view's work), else odd."""
    if not real:
        return odd
    return st.integers(0, 4).flatmap(lambda k: odd if k == 4 else st.sampled_from(real))


def path_value(converter: str, real: list[Any]) -> st.SearchStrategy[str]:
    if converter == "IdConverter":
        return _mostly(real, st.integers(-(2**70), 2**70) | st.sampled_from(
            [0, 1, 2**31 - 1, 2**31, 2**63, 10**20])).map(str)
    return _mostly(real, text_values().filter(bool) | st.sampled_from(
        ["a" * 3000, "x.y.z", "..", "%00", "ü", "eyJsIjoxLCJuIjoiYSJ9.aGVsbG8.c2ln"]))


def json_bodies() -> st.SearchStrategy[bytes]:
    """What a browser (or anyone) may post to the tech check."""
    leaf = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(
        max_size=20)
    tree = st.recursive(leaf, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["schema", "browser", "camera", "network", "name", "error",
                         "interview_id", "fps"]) | st.text(max_size=8), inner, max_size=4),
        max_leaves=20)
    valid = {"schema": 1, "browser": {"name": "chrome", "secure_context": True,
                                      "get_user_media": True},
             "camera": {"error": None, "fps": 30}, "microphone": {"error": None},
             "speakers": {"answered": False}, "network": None, "stun": {"status": "skipped"}}
    return st.one_of(
        tree.map(lambda v: json.dumps(v).encode()),
        st.sampled_from([
            b"[" * 4000, b"{\"a\":" * 3000, json.dumps(valid).encode(),
            json.dumps({**valid, "interview_id": 99999999999999}).encode(),
            json.dumps({**valid, "browser": {**valid["browser"], "name": "a\x00b"}}).encode(),
            json.dumps({**valid, "camera": {"error": None, "fps": float("nan")}}).encode(),
            json.dumps({**valid, "camera": {"error": None, "fps": float("inf")}}).encode(),
            b"not json", b"\xff\xfe", b"",
        ]),
        st.binary(max_size=200),
    )


# ---------------------------------------------------------------- the world


def _build_world(app: Flask) -> dict[str, Any]:
    """A little of everything, so real ids and tokens reach deep into the views."""
    from portal.decisions import services as decisions
    from portal.feedback import services as feedback
    from portal.links.services import issue_link
    from portal.pool import consent, retention
    from portal.pool import services as pool
    from portal.privacy.services import extend_link
    from portal.references import services as refs

    settings = app.config["PORTAL"]
    UserFactory(email="admin@example.com", role="admin")
    recruiter = UserFactory(email="recruiter@example.com", role="recruiter")
    interviewer = UserFactory(email="interviewer@example.com", role="interviewer")
    opening = make_opening(recruiter)
    feedback.create_starter_kit(db.session, recruiter, opening)
    person = CandidateFactory(name="Fia Fuzz", email="fia@example.com")
    application = make_application(recruiter, person, opening)
    make_interview(recruiter, application, interviewers=[interviewer])
    make_application(recruiter, person, make_opening(recruiter, "Designer"))
    move_to(recruiter, application,
            next(s for s in opening.stages if s.name == "References"))
    referee = refs.add_referee(db.session, person, application, refs.RefereeData(
        name="Rut Referee", relation="Manager", email="rut@example.com", phone="",
        language="sv", consent=True))
    referee_link = refs.send_request(db.session, settings, recruiter, referee) or ""
    given_consent = consent.give_consent(db.session, settings, person, "en", roles="Backend")
    profile = pool.ensure_profile(db.session, person)
    pool.save_search(db.session, recruiter, "Python people", "python")
    pool.invite(db.session, settings, recruiter, [profile.id],
                make_opening(recruiter, "Data engineer"))
    retention.place_hold(db.session, recruiter, person, "A dispute about the process", None)
    decisions.reasons(db.session)
    db.session.flush()
    _link, token = issue_link(db.session, settings, person)
    from portal.scheduling.feed import create_feed

    feed_token = create_feed(db.session, interviewer)
    db.session.commit()
    tokens = [token, referee_link.rsplit("/", 1)[-1], extend_link(settings, given_consent)
              .rsplit("/", 1)[-1], feed_token]
    return {"candidate_id": person.id, "token": token, "tokens": tokens}


# The table behind each path parameter that names a row.
ROWS = {"application_id": "Application", "candidate_id": "Candidate",
        "interview_id": "Interview", "opening_id": "Opening", "stage_id": "Stage",
        "user_id": "User", "kit_id": "InterviewKit", "reason_id": "RejectionReason",
        "message_id": "OutboxMessage", "profile_id": "TalentProfile", "saved_id": "SavedSearch",
        "hold_id": "RetentionHold", "referee_id": "Referee", "invite_id": "PoolInvite"}


def _real(world: dict[str, Any]) -> dict[str, list[Any]]:
    """Real values for each path parameter: the ids in its table, the world's tokens, the
    platforms and calendars the app knows."""
    import portal.models as models
    from portal.platforms.registry import platform_choices

    real: dict[str, list[Any]] = {
        name: list(db.session.scalars(select(getattr(models, model).id)))
        for name, model in ROWS.items()}
    real["position"] = [0, 1, 2, 3]
    real["token"] = world["tokens"]
    real["provider"] = ["google", "outlook"]
    real["platform_key"] = [key for key, _name in platform_choices()]
    real["*"] = sorted({i for name in ROWS for i in real[name]} | {0, 1, 2, 3})
    return real


class Session:
    """A client signed in as one role, that signs in again when a pass ended it."""

    def __init__(self, app: Flask, role: str, world: dict[str, Any]) -> None:
        self.app, self.role, self.world = app, role, world
        self.client = app.test_client()
        self.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.csrf = ""
        self.sign_in()

    def sign_in(self) -> None:
        limiter.reset()
        if self.role == "candidate":
            self._candidate()
        else:
            page = self.client.get("/staff/login")
            self.client.post("/staff/login", data={
                "email": f"{self.role}@example.com", "password": PASSWORD,
                "csrf_token": _csrf(page.text)})
        page = self.client.get("/portal/" if self.role == "candidate" else "/staff/")
        assert page.status_code == 200, f"cannot sign in as {self.role}"
        self.csrf = _csrf(page.text)

    def _candidate(self) -> None:
        """Through a fresh magic link; a new candidate when a pass erased the last one."""
        from portal.accounts.models import User
        from portal.hiring.models import Candidate
        from portal.links.services import issue_link

        for fresh in (False, True):
            with self.app.app_context():
                person = db.session.get(Candidate, self.world["candidate_id"])
                if fresh or person is None:
                    recruiter = db.session.scalar(
                        select(User).where(User.email == "recruiter@example.com"))
                    person = CandidateFactory()
                    make_interview(recruiter, make_application(recruiter, person))
                    self.world["candidate_id"] = person.id
                _link, token = issue_link(db.session, self.app.config["PORTAL"], person)
                db.session.commit()
            self.client.get(f"/c/{token}")
            if self.client.get("/portal/").status_code == 200:
                return

    def signed_in(self) -> bool:
        page = self.client.get("/portal/" if self.role == "candidate" else "/staff/")
        if page.status_code == 200:
            self.csrf = _csrf(page.text)
            return True
        return False


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class Errors(logging.Handler):
    """The tracebacks the app logs for what became a 500, to show with the failure."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.seen.append(self.format(record))


def _rules(app: Flask) -> list[Any]:
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in SKIP]
    return sorted(rules, key=lambda r: (LAST.index(r.endpoint) if r.endpoint in LAST else -1,
                                        r.rule))


# ---------------------------------------------------------------- the test


def _passes() -> int:
    """A few passes in CI; the long profile (200 examples) makes about 50."""
    return max(2, hypothesis_settings.default.max_examples // 4)


ROUTES_A_RUN = 40


@pytest.mark.parametrize("role", ROLES)
def test_no_route_answers_5xx(app: Flask, ctx: Any, role: str) -> None:
    with app.test_request_context():  # the pool's invitations build URLs
        world = _build_world(app)
    real = _real(world)
    ids = real["*"]
    ctx.commit()  # nothing of the test's own stays open while the requests run
    forms = _forms()
    everywhere = _all_names()
    rules = _rules(app)
    names = {r.endpoint: _names_of(app.view_functions[r.endpoint], forms) for r in rules}
    session = Session(app, role, world)
    errors = Errors()
    logging.getLogger("portal").addHandler(errors)

    # No shrinking: a pass is a few hundred requests, and the failure names each request
    # that answered 5xx, with the traceback the app logged. The routes go in groups, one
    # hypothesis run each, so that one example's draws stay within hypothesis's buffer
    # however many routes there are.
    @hypothesis_settings(max_examples=_passes(), phases=(Phase.explicit, Phase.generate))
    @given(data=st.data())
    def one_pass(group: list[Any], data: st.DataObject) -> None:
        if not session.signed_in():
            session.sign_in()
        value = values(ids)
        failures: list[str] = []
        for rule in group:
            url = rule.rule
            for arg, converter in rule._converters.items():
                raw = data.draw(path_value(type(converter).__name__, real.get(arg, [])),
                                label=arg)
                url = re.sub(rf"<(?:\w+:)?{arg}>", quote(raw, safe=""), url)
            own = names[rule.endpoint]
            pick = st.lists(st.sampled_from(own + everywhere), max_size=4, unique=True)
            for method in sorted((rule.methods or set()) & {"GET", "POST"}):
                chosen = [n for n in own if data.draw(st.integers(0, 3)) > 0]
                chosen += data.draw(pick)
                params = MultiDict([(n, data.draw(value)) for n in chosen])
                query = MultiDict([(n, data.draw(value)) for n in data.draw(
                    st.lists(st.sampled_from(COMMON_NAMES + tuple(own)), max_size=3))])
                headers = {}
                if data.draw(st.booleans()):
                    headers = {"HX-Request": "true",
                               "HX-Target": data.draw(st.sampled_from(HTMX_TARGETS))}
                kwargs: dict[str, Any] = {"query_string": query, "headers": headers}
                if method == "POST":
                    headers["X-CSRFToken"] = session.csrf
                    if rule.endpoint == "techcheck.results":
                        kwargs["data"] = data.draw(json_bodies(), label="json")
                        kwargs["content_type"] = "application/json"
                    else:
                        params.add("csrf_token", session.csrf)
                        if rule.endpoint in ("candidate.upload_cv", "jobs.apply"):
                            params.add("cv", (io.BytesIO(data.draw(st.binary(max_size=300))),
                                              data.draw(text_values()) or "cv.pdf"))
                        if rule.endpoint == "intake.import_candidates":
                            params.add("file", (io.BytesIO(data.draw(st.binary(max_size=300))),
                                                data.draw(text_values()) or "people.csv"))
                        kwargs["data"] = params
                elif method == "GET":
                    query.update(params)
                errors.seen.clear()
                response = session.client.open(url, method=method, **kwargs)
                if response.status_code >= 500:
                    failures.append(f"{method} {url} {kwargs} as {role} answered "
                                    f"{response.status_code}\n" + "\n".join(errors.seen))
        assert not failures, "\n\n".join(failures)

    try:
        for start in range(0, len(rules), ROUTES_A_RUN):
            one_pass(rules[start:start + ROUTES_A_RUN])
    finally:
        logging.getLogger("portal").removeHandler(errors)
