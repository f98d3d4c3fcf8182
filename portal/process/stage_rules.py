"""Stage rules: a stage may write to the candidate when they enter it, from one of the
message templates (``decisions``), in the candidate's language.

The lifecycle calls ``announce_entry`` after an open move, in the same transaction, so the
board, the candidate page and a move of many applications at once all send it. Moves that
carry their own message do not: a closure (its outcome message), a recorded decision (the
message written with it) and an interview scheduled with its invitation.

A candidate who re-enters the same stage within ``QUIET`` gets no second message: a move
out and back (a slip on the board, or undoing one) is not news to them, while a return a
day or more later (a process reopened) is. One row per application and stage holds when it
was last sent; it is inserted or claimed with a conditional update, so of two moves at
once only one writes (the application's lock already orders them; the row is the net).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from portal.decisions import services as decisions
from portal.hiring.models import Application, Stage
from portal.links.services import issue_link, link_url
from portal.locks import insert_if_missing
from portal.messaging.services import enqueue, render_email
from portal.process.models import StageEntryMessage
from portal.settings import Settings
from portal.timeutil import utcnow

QUIET = timedelta(hours=24)


def _claim(db: Session, application: Application, stage: Stage) -> bool:
    """True when this move may write: no message for this stage yet, or the last one is
    older than ``QUIET``."""
    now = utcnow()
    if insert_if_missing(db, StageEntryMessage,
                         {"application_id": application.id, "stage_id": stage.id,
                          "sent_at": now}, ["application_id", "stage_id"]):
        return True
    table = StageEntryMessage.__table__
    result = db.execute(update(table).where(
        table.c.application_id == application.id, table.c.stage_id == stage.id,
        table.c.sent_at < now - QUIET).values(sent_at=now))
    return result.rowcount == 1  # type: ignore[attr-defined]


def announce_entry(db: Session, settings: Settings, application: Application) -> bool:
    """Write the stage's message to the candidate, if the stage has one and they have not
    had it within ``QUIET``. Returns whether a message was written."""
    stage = application.stage
    if stage.is_end or not stage.entry_message:
        return False
    if not _claim(db, application, stage):
        return False
    candidate = application.candidate
    language = candidate.language
    portal_link = ""
    if decisions.asks_for_link(db, stage.entry_message, language):
        _link, token = issue_link(db, settings, candidate)
        portal_link = link_url(settings, token,
                               next_path=f"/portal/applications/{application.id}")
    subject, body = decisions.write(db, stage.entry_message, language, {
        "name": candidate.first_name, "role": application.opening.title,
        "personal_line": "", "portal_link": portal_link})
    text, html = render_email("candidate_outcome", language, candidate=candidate, body=body,
                              link=None, portal_link=None)
    enqueue(db, kind=f"stage_{stage.entry_message}", to_email=candidate.email,
            to_name=candidate.name, subject=subject.replace(portal_link, "") if portal_link
            else subject, text=text, html=html, candidate_id=candidate.id)
    return True


class SampleCandidate:
    """Who a preview is written to: no real person's data on the stage form."""

    def __init__(self, name: str, language: str) -> None:
        self.name, self.language = name, language
        self.first_name = name.split()[0]


SAMPLE_NAMES = {"sv": "Alex Lindqvist", "en": "Alex Taylor"}


def preview(db: Session, settings: Settings, stage: Stage, kind: str,
            language: str) -> tuple[str, str]:
    """Subject and text of the message ``kind`` as a sample candidate who reads
    ``language`` would get it on entering ``stage`` (a made-up link where it asks for one)."""
    candidate = SampleCandidate(SAMPLE_NAMES[language], language)
    link = link_url(settings, "…", next_path="/portal/applications/…")
    subject, body = decisions.write(db, kind, language, {
        "name": candidate.first_name, "role": stage.opening.title, "personal_line": "",
        "portal_link": link})
    text, _html = render_email("candidate_outcome", language, candidate=candidate, body=body,
                               link=None, portal_link=None)
    return subject, text
