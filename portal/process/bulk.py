"""Acting on many applications at once (the board's and the candidates page's ticks):
move to a stage, reject with a message, send a message, offer times to book.

``plan`` says, for every application chosen, what it gets or why it is skipped; the
preview page shows exactly that and nothing is changed. ``carry_out`` makes the plan again
under the applications' locks (something may have changed since the preview), then does
every line that still holds through the lifecycle and the outbox, in the caller's one
transaction: a recruiter gets all of what the preview promised, minus the lines it now
lists as skipped, or, when a rule refuses midway, nothing at all and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.accounts.models import User
from portal.booking.models import BookingOffer, OfferStatus
from portal.decisions import services as decisions
from portal.decisions.models import KINDS
from portal.errors import DomainError
from portal.hiring.models import Application, Stage, stage_label
from portal.hiring.services import require_manager
from portal.locks import lock
from portal.process import lifecycle
from portal.settings import Settings

ACTIONS = ("move", "reject", "message", "booking")
MAX_CHOSEN = 500  # a page of ticks; more is refused rather than half done
REJECT_KINDS = tuple(k for k in KINDS if k.startswith("reject"))
# A message from a template: the outcome templates that close nothing. A rejection goes
# through "reject", which closes the process as well.
MESSAGE_KINDS = tuple(k for k in KINDS if not k.startswith("reject"))
FREE_TEXT = "free"


def action_choices() -> list[tuple[str, Any]]:
    return [("move", _l("Move to a stage")), ("reject", _l("Reject with a message")),
            ("message", _l("Send a message")), ("booking", _l("Offer times to book"))]


@dataclass
class Choice:
    """What the recruiter chose on the preview page."""

    action: str
    stage_name: str = ""
    kind: str = ""  # a template kind, or FREE_TEXT for "message"
    reason: str = ""
    personal_line: str = ""
    subject: str = ""
    body: str = ""


@dataclass
class Line:
    """One application in a plan: what it gets (``subject``, ``body`` in the candidate's
    language, or ``target`` stage), or why it is skipped."""

    application: Application
    skipped: str = ""
    target: Stage | None = None
    subject: str = ""
    body: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.skipped


@dataclass
class Plan:
    choice: Choice
    lines: list[Line]
    missing: list[int] = field(default_factory=list)  # ids that name nothing we may see

    @property
    def doing(self) -> list[Line]:
        return [line for line in self.lines if line.ok]

    @property
    def skipping(self) -> list[Line]:
        return [line for line in self.lines if not line.ok]


def choose(db: Session, actor: User, ids: list[int]) -> tuple[list[Application], list[int]]:
    """The applications behind ``ids`` that ``actor`` may act on, and the ids left over.
    Only recruiters and admins act on many at once."""
    require_manager(actor)
    if len(ids) > MAX_CHOSEN:
        raise DomainError(_l("Choose at most %(num)d at a time.", num=MAX_CHOSEN))
    found = list(db.scalars(
        select(Application).where(Application.id.in_(ids))
        .options(selectinload(Application.candidate), selectinload(Application.interviews),
                 selectinload(Application.opening))
        .order_by(Application.id)))
    seen = {a.id for a in found}
    return found, [i for i in dict.fromkeys(ids) if i not in seen]


def check_choice(db: Session, choice: Choice) -> None:
    """The choices themselves (a stage named, a template that exists, a reason from the
    list); a broken one refuses the whole action with a message."""
    if choice.action not in ACTIONS:
        raise DomainError(_l("Choose what to do."), field="action")
    if choice.action == "move" and not choice.stage_name:
        raise DomainError(_l("Choose a stage."), field="stage_name")
    if choice.action == "reject":
        if choice.kind not in REJECT_KINDS:
            raise DomainError(_l("Choose a message."), field="kind")
        if choice.reason not in {r.label for r in decisions.reasons(db)}:
            raise DomainError(_l("Choose a reason for the rejection."), field="reason")
    if choice.action == "message":
        if choice.kind not in (*MESSAGE_KINDS, FREE_TEXT):
            raise DomainError(_l("Choose a message."), field="kind")
        if choice.kind == FREE_TEXT and not (choice.subject.strip() and choice.body.strip()):
            raise DomainError(_l("The message needs a subject and a text."), field="body")


def _live_interviews(application: Application) -> list[Any]:
    from portal.timeutil import utcnow

    now = utcnow()
    return [i for i in application.interviews if not i.is_cancelled and i.ends_at > now]


def _line(db: Session, application: Application, choice: Choice,
          booking_opening_id: int | None) -> Line:
    line = Line(application)
    if choice.action == "move":
        target = next((s for s in application.opening.stages
                       if s.name == choice.stage_name), None)
        if target is None:
            line.skipped = str(_l("%(opening)s has no stage called %(stage)s.",
                                  opening=application.opening.title,
                                  stage=stage_label(choice.stage_name)))
        elif target.id == application.stage_id:
            line.skipped = str(_l("Already in this stage."))
        elif target.is_end and application.is_closed:
            line.skipped = str(_l("The process is already closed."))
        else:
            line.target = target
            if target.is_end:
                line.notes = [str(_l("%(round)s is cancelled; the candidate and the panel "
                                     "are told.", round=i.round_name))
                              for i in _live_interviews(application)]
        return line
    if application.is_closed:
        line.skipped = str(_l("The process is already closed."))
        return line
    if choice.action == "reject":
        line.subject, line.body = decisions.compose(db, application, choice.kind,
                                                    choice.personal_line)
        line.notes = [str(_l("%(round)s is cancelled; the candidate and the panel are told.",
                             round=i.round_name)) for i in _live_interviews(application)]
    elif choice.action == "message":
        if choice.kind == FREE_TEXT:
            line.subject, line.body = choice.subject.strip(), choice.body.strip()
        else:
            line.subject, line.body = decisions.compose(db, application, choice.kind,
                                                        choice.personal_line)
    elif choice.action == "booking":
        if application.opening_id != booking_opening_id:
            line.skipped = str(_l("Times to book are offered for one opening at a time; "
                                  "this application is for %(opening)s.",
                                  opening=application.opening.title))
        elif db.scalar(select(BookingOffer.id).where(
                BookingOffer.application_id == application.id,
                BookingOffer.status == OfferStatus.OPEN)):
            line.skipped = str(_l("Already has a time to book."))
    return line


def booking_opening(applications: list[Application]) -> int | None:
    """A booking request belongs to one opening: the one most of the open ones are for."""
    tally: dict[int, int] = {}
    for application in applications:
        if not application.is_closed:
            tally[application.opening_id] = tally.get(application.opening_id, 0) + 1
    return max(tally, key=lambda k: (tally[k], -k)) if tally else None


def plan(db: Session, actor: User, applications: list[Application], missing: list[int],
         choice: Choice) -> Plan:
    """What ``choice`` would do to each application; nothing is changed."""
    require_manager(actor)
    check_choice(db, choice)
    opening_id = booking_opening(applications) if choice.action == "booking" else None
    return Plan(choice, [_line(db, a, choice, opening_id) for a in applications], missing)


def carry_out(db: Session, settings: Settings, actor: User, applications: list[Application],
              missing: list[int], choice: Choice) -> Plan:
    """Do the plan: each application is locked and its line made afresh first, so what
    changed since the preview is skipped with its reason. Everything happens in the
    caller's transaction; a ``DomainError`` means the caller rolls all of it back.

    "booking" changes nothing here: the booking form (round, panel, window) comes next
    with the applications the plan keeps."""
    require_manager(actor)
    check_choice(db, choice)
    for application in applications:
        lock(db, application)
    done = plan(db, actor, applications, missing, choice)
    for line in done.doing:
        application = line.application
        if choice.action == "move" and line.target is not None:
            lifecycle.move(db, settings, actor, application, line.target)
        elif choice.action == "reject":
            lifecycle.decide(db, settings, actor, application, "reject", choice.reason)
            decisions.schedule(db, actor, application, choice.kind, line.subject, line.body,
                               None, settings)
        elif choice.action == "message" and choice.kind == FREE_TEXT:
            decisions.send_note(db, actor, application, line.subject, line.body, settings)
        elif choice.action == "message":
            decisions.schedule(db, actor, application, choice.kind, line.subject, line.body,
                               None, settings)
    return done
