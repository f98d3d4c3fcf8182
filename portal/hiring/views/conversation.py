"""The candidate page's activity feed, staff notes (/staff/candidates/<id>/notes,
/staff/notes/<id>) and the message thread with the candidate
(/staff/candidates/<id>/messages)."""

from __future__ import annotations

from typing import Any

from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.errors import DomainError
from portal.extensions import db
from portal.hiring import messages, notes, services
from portal.hiring.models import Application, Candidate
from portal.hiring.views import _manager, _settings, bp
from portal.privacy.services import audit
from portal.web import is_htmx_target

# What comes back into the form after a refused post is cut here, so a huge post is
# never echoed back whole.
_ECHO = 20_000


def _typed(name: str) -> str:
    return request.form.get(name, "")[:_ECHO]


def conversation_context(person: Candidate, applications: list[Application] | None,
                         extra: dict[str, Any]) -> dict[str, Any]:
    """What the candidate page shows of the feed, notes and messages (``applications``:
    the ones the viewer may see; None: no feed, for the composer alone)."""
    from portal.process.feed import feed

    tz = _settings().default_timezone
    manager = current_user.can_manage_hiring
    context: dict[str, Any] = {
        "feed": feed(db.session, current_user, person, applications, tz)
        if applications is not None else [],
        "mention_names": [u.name for u in notes.mentionable(db.session, person)
                          if u.id != current_user.id],
        "note_text": "", "note_error": "", "may_change_note": notes.may_change,
        "note_max": notes.MAX_NOTE, "message_max": messages.MAX_MESSAGE,
        "manager": manager,
    }
    if manager:
        context.update(
            thread=messages.thread(db.session, person.id),
            unanswered=messages.unanswered(db.session, [person.id]).get(person.id, 0),
            may_message=messages.may_write_to(db.session, _settings(), person),
            message_templates=_templates(person.language),
            template_label=lambda text: _fill(person, text),
            message_subject="", message_body="", message_error="", message_preview=False,
            reply_to=_readable_address(messages.reply_to(db.session, _settings(), person.id)))
    context.update(extra)
    return context


def _readable_address(value: str) -> str:
    """'"Maria Lind" <maria@example.com>' as 'Maria Lind (maria@example.com)'."""
    from email.utils import parseaddr

    name, address = parseaddr(value)
    return f"{name} ({address})" if name and address else address or value


def _templates(language: str) -> list[Any]:
    """The message templates in the candidate's language (the stored words, else the
    defaults; reading never writes)."""
    from types import SimpleNamespace

    from sqlalchemy import select

    from portal.decisions import defaults
    from portal.decisions.models import KINDS, MessageTemplate

    stored = {t.kind: t for t in db.session.scalars(
        select(MessageTemplate).where(MessageTemplate.language == language))}
    rows = []
    for kind in KINDS:
        if kind in stored:
            rows.append(stored[kind])
        elif (kind, language) in defaults.TEMPLATES:
            subject, body = defaults.TEMPLATES[(kind, language)]
            rows.append(SimpleNamespace(kind=kind, subject=subject, body=body))
    return rows


def _page(person: Candidate, status: int, **extra: Any) -> Any:
    from portal.hiring.views.candidates import candidate_page

    return candidate_page(person, status, **extra)


# ---------------------------------------------------------------- notes


@bp.post("/candidates/<int:candidate_id>/notes")
def add_note(candidate_id: int) -> Any:
    """A new note; the colleagues it names with @ are emailed."""
    person = services.get_candidate(db.session, current_user, candidate_id)
    try:
        note = notes.add_note(db.session, _settings(), current_user, person,
                              request.form.get("body"))
    except DomainError as exc:
        db.session.rollback()
        return _page(person, 422, note_text=_typed("body"), note_error=str(exc.message))
    audit(db.session, "note_added", person.id, "staff", current_user.id)
    db.session.commit()
    named = len(note.mentions or [])
    flash(_("Note saved. Colleagues told by email: %(n)d.", n=named) if named else _("Note saved."),
          "success")
    return redirect(url_for(".candidate", candidate_id=person.id) + f"#note-{note.id}", 303)


@bp.post("/notes/<int:note_id>")
def edit_note(note_id: int) -> Any:
    """Change a note (its author or an admin)."""
    note = notes.get_note(db.session, current_user, note_id)
    person = services.get_candidate(db.session, current_user, note.candidate_id)
    try:
        notes.edit_note(db.session, _settings(), current_user, note, request.form.get("body"))
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return _page(person, 422 if exc.field else 403)
    audit(db.session, "note_changed", person.id, "staff", current_user.id)
    db.session.commit()
    flash(_("Note changed."), "success")
    return redirect(url_for(".candidate", candidate_id=person.id) + f"#note-{note.id}", 303)


@bp.post("/notes/<int:note_id>/delete")
def delete_note(note_id: int) -> Any:
    note = notes.get_note(db.session, current_user, note_id)
    person = services.get_candidate(db.session, current_user, note.candidate_id)
    try:
        notes.delete_note(db.session, current_user, note)
    except DomainError as exc:
        flash(str(exc.message), "error")
        return _page(person, 403)
    audit(db.session, "note_deleted", person.id, "staff", current_user.id)
    db.session.commit()
    flash(_("Note deleted."), "success")
    return redirect(url_for(".candidate", candidate_id=person.id) + "#notes", 303)


# ---------------------------------------------------------------- messages


def _fill(person: Candidate, text: str) -> str:
    """A template's words with the candidate's name and the opening filled in."""
    from portal.decisions.services import fill

    openings = [a.opening.title for a in person.applications if not a.is_closed] or [
        a.opening.title for a in person.applications]
    return fill(text, {"name": person.first_name, "role": openings[0] if openings else "",
                       "personal_line": ""})


def _fill_template(person: Candidate, kind: str) -> tuple[str, str] | None:
    for t in _templates(person.language):
        if t.kind == kind:
            return _fill(person, t.subject), _fill(person, t.body)
    return None


@bp.post("/candidates/<int:candidate_id>/messages")
def send_message(candidate_id: int) -> Any:
    """Write to the candidate: "template" starts from a message template, "preview" shows
    the words as the candidate will read them, "send" sends."""
    _manager()
    person = services.get_candidate(db.session, current_user, candidate_id)
    action = request.form.get("action", "send")
    subject, body = _typed("subject"), _typed("body")
    extra: dict[str, Any] = {"message_subject": subject, "message_body": body}
    if action == "template":
        filled = _fill_template(person, request.form.get("template", ""))
        if filled:
            extra["message_subject"], extra["message_body"] = filled
        return _compose(person, extra)
    if action == "preview":
        try:
            extra["message_body"] = notes.clean_text(
                body, messages.MAX_MESSAGE, _("Write a message first."),
                _("A message can be at most %(n)d characters.", n=messages.MAX_MESSAGE))
            extra["message_preview"] = True
        except DomainError as exc:
            extra["message_error"] = str(exc.message)
        return _compose(person, extra)
    try:
        messages.send_to_candidate(db.session, _settings(), current_user, person,
                                   request.form.get("body"), request.form.get("subject"))
    except DomainError as exc:
        db.session.rollback()
        extra["message_error"] = str(exc.message)
        return _compose(person, extra, 422)
    audit(db.session, "message_sent", person.id, "staff", current_user.id)
    db.session.commit()
    flash(_("Message sent. The candidate gets an email saying it is there."), "success")
    return redirect(url_for(".candidate", candidate_id=person.id) + "#messages", 303)


def _compose(person: Candidate, extra: dict[str, Any], status: int = 200) -> Any:
    """The composer alone for htmx, else the whole page with the composer filled in."""
    if is_htmx_target("message-compose"):
        context = conversation_context(person, None, extra)
        response = make_response(render_template("staff/_message_compose.html",
                                                 candidate=person, **context), status)
        response.vary.add("HX-Request")
        return response
    return _page(person, status if status != 200 else (422 if extra.get("message_error")
                                                        else 200), **extra)


@bp.post("/candidates/<int:candidate_id>/messages/answered")
def mark_answered(candidate_id: int) -> Any:
    """The candidate's messages need no written answer (e.g. answered by phone)."""
    _manager()
    person = services.get_candidate(db.session, current_user, candidate_id)
    messages.mark_answered(db.session, person.id)
    db.session.commit()
    flash(_("Marked as answered."), "success")
    return redirect(url_for(".candidate", candidate_id=person.id) + "#messages", 303)
