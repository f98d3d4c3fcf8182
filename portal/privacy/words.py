"""The privacy domain's stored keys in words a person reads: audit actions and the labels
and values of the candidate's own copy of their data. The log and the JSON export keep
their machine keys; pages show these words in the reader's language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from portal.timeutil import utcnow
from portal.zones import zone_label

AUDIT_ACTIONS = {
    "viewed": _l("Viewed the candidate"),
    "changed": _l("Changed the candidate's details"),
    "exported": _l("Exported in a comparison of scorecards"),
    "erased": _l("Erased the candidate's data"),
    "data_exported": _l("Read their own data"),
    "consent_given": _l("Joined the talent pool"),
    "consent_extended": _l("Extended the consent to the talent pool"),
    "consent_withdrawn": _l("Withdrew the consent to the talent pool"),
    "profile_changed": _l("Changed the talent pool profile"),
    "profile_viewed": _l("Viewed the talent pool profile"),
    "profile_expired": _l("Talent pool profile removed when the consent ran out"),
    "cv_uploaded": _l("Uploaded a CV"),
    "cv_removed": _l("Removed the CV"),
    "cv_downloaded": _l("Downloaded the CV"),
    "pool_invited": _l("Invited from the talent pool to an opening"),
    "invite_interested": _l("Answered an invitation: interested"),
    "invite_not_now": _l("Answered an invitation: not now"),
    "invite_never": _l("Answered an invitation: never again"),
    "hold_placed": _l("Kept the data past the retention rules"),
    "hold_released": _l("Released the hold on the data"),
    "staff_invited": _l("Invited a colleague"),
    "staff_role_changed": _l("Changed a colleague's role"),
    "staff_activated": _l("Activated a staff account"),
    "staff_deactivated": _l("Deactivated a staff account"),
    "applied_public": _l("Applied on the public page"),
    "notice_consent_given": _l("Agreed to the privacy notice"),
    "applied_again": _l("Applied again on the public page"),
    "imported": _l("Imported from a CSV file"),
    "merged": _l("Merged with another record of the same person"),
    "merged_away": _l("Merged into another record and removed"),
    "staff_2fa_enabled": _l("Turned on two-factor sign-in"),
    "staff_2fa_disabled": _l("Turned off two-factor sign-in"),
    "staff_2fa_signed_in": _l("Signed in with a code from the app"),
    "staff_2fa_recovery_used": _l("Signed in with a recovery code"),
    "staff_2fa_failed": _l("Typed a wrong two-factor code"),
    "staff_2fa_codes_renewed": _l("Made new recovery codes"),
    "staff_2fa_reset": _l("Reset a colleague's two-factor sign-in"),
    "staff_2fa_required": _l("Required two-factor sign-in of everyone"),
    "staff_2fa_not_required": _l("Stopped requiring two-factor sign-in"),
    "staff_sso_signed_in": _l("Signed in with single sign-on"),
    "staff_sso_linked": _l("Linked their account to single sign-on"),
    "staff_sso_account_created": _l("Got an account at their first single sign-on"),
    "staff_sso_refused": _l("Refused a sign-in through single sign-on"),
    "staff_sso_configured": _l("Set up single sign-on"),
    "staff_sso_turned_off": _l("Turned single sign-on off"),
}

ACTOR_KINDS = {"staff": _l("Staff"), "candidate": _l("The candidate"),
               "system": _l("The system"), "api_key": _l("An API key")}

AUDIT_ACTIONS.update({
    "note_added": _l("Wrote a note"),
    "note_changed": _l("Changed a note"),
    "note_deleted": _l("Deleted a note"),
    "message_sent": _l("Wrote to the candidate"),
    "api_read": _l("Read through the API"),
    "api_write": _l("Changed through the API"),
})

# An event as a sentence: (someone else did it, the candidate did it themself). In the
# first, %(actor)s is the person who did it, %(candidate)s the candidate's name and
# %(whose)s its possessive ("Anna Berg's", "Anna Bergs"); in the second, %(actor)s is the
# candidate.
AUDIT_SENTENCES: dict[str, tuple[Any, Any]] = {
    "viewed": (_l("%(actor)s opened %(whose)s page"),
               _l("%(actor)s opened their page")),
    "changed": (_l("%(actor)s changed %(whose)s details"),
                _l("%(actor)s changed their details")),
    "exported": (_l("%(actor)s exported %(whose)s scorecards in a comparison"),
                 _l("%(actor)s exported their scorecards")),
    "erased": (_l("%(actor)s erased %(whose)s data"), _l("%(actor)s erased their data")),
    "data_exported": (_l("%(actor)s took a copy of %(whose)s data"),
                      _l("%(actor)s took a copy of their data")),
    "consent_given": (_l("%(actor)s added %(candidate)s to the talent pool"),
                      _l("%(actor)s joined the talent pool")),
    "consent_extended": (_l("%(actor)s extended %(whose)s consent to the talent pool"),
                         _l("%(actor)s extended their consent to the talent pool")),
    "consent_withdrawn": (_l("%(actor)s ended %(whose)s consent to the talent pool"),
                          _l("%(actor)s withdrew their consent to the talent pool")),
    "profile_changed": (_l("%(actor)s changed %(whose)s talent pool profile"),
                        _l("%(actor)s changed their talent pool profile")),
    "profile_viewed": (_l("%(actor)s opened %(whose)s talent pool profile"),
                       _l("%(actor)s opened their talent pool profile")),
    "profile_expired": (_l("%(whose)s talent pool profile was removed when the consent ran out"),
                        _l("%(whose)s talent pool profile was removed when the consent ran out")),
    "cv_uploaded": (_l("%(actor)s uploaded a CV for %(candidate)s"),
                    _l("%(actor)s uploaded their CV")),
    "cv_removed": (_l("%(actor)s removed %(whose)s CV"), _l("%(actor)s removed their CV")),
    "cv_downloaded": (_l("%(actor)s opened %(whose)s CV"), _l("%(actor)s opened their CV")),
    "pool_invited": (_l("%(actor)s invited %(candidate)s from the talent pool to an opening"),
                     _l("%(actor)s was invited from the talent pool to an opening")),
    "invite_interested": (_l("%(candidate)s answered an invitation: interested"),
                          _l("%(candidate)s answered an invitation: interested")),
    "invite_not_now": (_l("%(candidate)s answered an invitation: not now"),
                       _l("%(candidate)s answered an invitation: not now")),
    "invite_never": (_l("%(candidate)s answered an invitation: never again"),
                     _l("%(candidate)s answered an invitation: never again")),
    "hold_placed": (_l("%(actor)s kept %(whose)s data past the retention rules"),
                    _l("%(actor)s kept their data past the retention rules")),
    "hold_released": (_l("%(actor)s released the hold on %(whose)s data"),
                      _l("%(actor)s released the hold on their data")),
    "staff_invited": (_l("%(actor)s invited a colleague"), _l("%(actor)s invited a colleague")),
    "staff_role_changed": (_l("%(actor)s changed a colleague's role"),
                           _l("%(actor)s changed a colleague's role")),
    "staff_activated": (_l("%(actor)s activated a staff account"),
                        _l("%(actor)s activated a staff account")),
    "staff_deactivated": (_l("%(actor)s deactivated a staff account"),
                          _l("%(actor)s deactivated a staff account")),
    "note_added": (_l("%(actor)s wrote a note on %(candidate)s"),
                   _l("%(actor)s wrote a note on %(candidate)s")),
    "note_changed": (_l("%(actor)s changed a note on %(candidate)s"),
                     _l("%(actor)s changed a note on %(candidate)s")),
    "note_deleted": (_l("%(actor)s deleted a note on %(candidate)s"),
                     _l("%(actor)s deleted a note on %(candidate)s")),
    "message_sent": (_l("%(actor)s wrote to %(candidate)s"),
                     _l("%(actor)s wrote to %(candidate)s")),
}

# Two-factor sign-in: staff events about their own account (no candidate).
AUDIT_SENTENCES.update({action: (sentence, sentence) for action, sentence in {
    "staff_2fa_enabled": _l("%(actor)s turned on two-factor sign-in"),
    "staff_2fa_disabled": _l("%(actor)s turned off two-factor sign-in"),
    "staff_2fa_signed_in": _l("%(actor)s signed in with a code from the app"),
    "staff_2fa_recovery_used": _l("%(actor)s signed in with a recovery code"),
    "staff_2fa_failed": _l("%(actor)s typed a wrong two-factor code"),
    "staff_2fa_codes_renewed": _l("%(actor)s made new recovery codes"),
    "staff_2fa_reset": _l("%(actor)s reset a colleague's two-factor sign-in"),
    "staff_2fa_required": _l("%(actor)s required two-factor sign-in of everyone"),
    "staff_2fa_not_required": _l("%(actor)s stopped requiring two-factor sign-in"),
    "staff_sso_signed_in": _l("%(actor)s signed in with single sign-on"),
    "staff_sso_linked": _l("%(actor)s linked their account to single sign-on"),
    "staff_sso_account_created": _l("%(actor)s got an account at their first single sign-on"),
    "staff_sso_refused": _l("A sign-in through single sign-on was refused"),
    "staff_sso_configured": _l("%(actor)s set up single sign-on"),
    "staff_sso_turned_off": _l("%(actor)s turned single sign-on off"),
}.items()})

ERASED_CANDIDATE = _l("an erased candidate")
GONE_CANDIDATE = _l("a removed candidate")
GONE_COLLEAGUE = _l("a former colleague")
SOMEONE = _l("someone")
THE_PORTAL = _l("the portal")


def is_erased_email(candidate_id: int, email: str) -> bool:
    """Erasure leaves the row with this address (``privacy.services.erase``)."""
    return email == f"erased-{candidate_id}@invalid"


def possessive(name: str, lang: str) -> str:
    """"Anna Berg's" / "Anna Bergs" ("Lars" stays "Lars" in Swedish)."""
    if lang == "sv":
        return name if name[-1:].lower() in ("s", "x", "z") else name + "s"
    return name + "'s"


def audit_sentence(action: str, actor: str, candidate: str, lang: str,
                   by_candidate: bool = False) -> str:
    """One event in words: "Maria Lind opened Anna Berg's CV"."""
    forms = AUDIT_SENTENCES.get(action)
    if forms is None:
        label = audit_action_label(action)
        return f"{actor}: {label}" + (f" ({candidate})" if candidate else "")
    text = str(forms[1] if by_candidate else forms[0])
    sentence = text % {"actor": actor, "candidate": candidate or str(SOMEONE),
                       "whose": possessive(candidate or str(SOMEONE), lang)}
    return sentence[:1].upper() + sentence[1:]


def audit_action_label(action: str) -> str:
    """An audit action in words; an action without words yet is shown as its key."""
    word = AUDIT_ACTIONS.get(action)
    return str(word) if word is not None else action


def actor_kind_label(kind: str) -> str:
    word = ACTOR_KINDS.get(kind)
    return str(word) if word is not None else kind


# ---------------------------------------------------------------- the candidate's copy

EXPORT_LABELS = {
    "exported_at": _l("Copy made"),
    "person": _l("About you"),
    "name": _l("Name"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "language": _l("Language"),
    "timezone": _l("Time zone"),
    "first_seen_at": _l("First visit to the portal"),
    "applications": _l("Applications"),
    "opening": _l("Opening"),
    "stage": _l("Stage"),
    "applied_at": _l("Applied on"),
    "closed_at": _l("Closed on"),
    "interviews": _l("Interviews"),
    "round": _l("Round"),
    "starts_at": _l("Starts"),
    "platform": _l("Video platform"),
    "your_answer": _l("Your answer"),
    "your_message": _l("Your message"),
    "emails_to_you": _l("Emails to you"),
    "subject": _l("Subject"),
    "created_at": _l("Written"),
    "status": _l("Status"),
    "tech_checks": _l("Tech checks"),
    "at": _l("When"),
    "verdict": _l("Result"),
    "browser": _l("Browser"),
    "system": _l("Operating system"),
    "referees_you_named": _l("References you named"),
    "relation": _l("Relation to you"),
    "talent_pool_consents": _l("Consents to the talent pool"),
    "given_at": _l("Given on"),
    "expires_at": _l("Valid until"),
    "withdrawn_at": _l("Withdrawn on"),
    "roles": _l("Roles of interest"),
    "text_version": _l("Version of the consent text"),
    "talent_pool_profile": _l("Your talent pool profile"),
    "summary": _l("Summary"),
    "skills": _l("Skills"),
    "location": _l("Location"),
    "remote": _l("Where you want to work"),
    "languages": _l("Languages"),
    "cv_file": _l("CV file"),
    "cv_text": _l("Text of the CV"),
    "tags_from_recruiters": _l("Tags from recruiters"),
    "notes_from_recruiters": _l("Notes from recruiters"),
    "stage_reached": _l("Stage reached"),
    "best_score": _l("Best score"),
    "invitations": _l("Invitations to openings"),
    "invited_at": _l("Invited on"),
    "answer": _l("Answer"),
    "answered_at": _l("Answered on"),
    "notes_from_staff": _l("Notes our staff wrote about you"),
    "edited_at": _l("Changed on"),
    "text": _l("Text"),
    "messages": _l("Messages"),
    "from": _l("From"),
    "adjustments_you_asked_for": _l("Adjustments you asked for"),
    "times_offered_to_book": _l("Times offered to book"),
    "kinds": _l("What you asked for"),
    "note": _l("Note"),
    "updated_at": _l("Changed on"),
    "sent_at": _l("Sent on"),
    "booked_at": _l("Booked on"),
}

VALUE_WORDS: dict[str, dict[str, Any]] = {
    "language": {"sv": _l("Swedish"), "en": _l("English")},
    "your_answer": {"none": _l("No answer yet"), "confirmed": _l("Confirmed"),
                    "reschedule": _l("Asked for another time")},
    "status": {"pending": _l("Waiting to be sent"), "sending": _l("Being sent"),
               "sent": _l("Sent"), "failed": _l("Failed"), "open": _l("Open to book"),
               "booked": _l("Booked"), "withdrawn": _l("Withdrawn"), "closed": _l("Closed")},
    "verdict": {"ready": _l("Ready"), "warnings": _l("Ready, with points to look at"),
                "not_ready": _l("Not ready")},
    "remote": {"onsite": _l("On site"), "hybrid": _l("Hybrid"), "remote": _l("Remote")},
    "answer": {"interested": _l("Interested"), "not_now": _l("Not now"),
               "never": _l("Never again")},
    "from": {"in": _l("You"), "out": _l("Us")},
}


def _label(key: str) -> str:
    word = EXPORT_LABELS.get(key)
    return str(word) if word is not None else key.replace("_", " ").capitalize()


def _value(key: str, value: Any, when: Any) -> str:
    """One value to read: times in the reader's zone and words instead of stored keys."""
    if value is None or value == "":
        return "–"
    if isinstance(value, str) and (key == "at" or key.endswith("_at")):
        try:
            return str(when(datetime.fromisoformat(value)))
        except ValueError:
            return value
    if key == "platform":
        from portal.platforms.registry import get_platform

        platform = get_platform(str(value))
        return platform.name if platform else str(value)
    if key == "timezone":
        return zone_label(str(value), utcnow(), str(get_locale() or "en")[:2])
    if key == "stage_reached":
        from portal.hiring.models import stage_label

        return stage_label(str(value))
    if key == "kinds":
        from portal.booking.adjustments import ADJUSTMENT_KINDS

        value = [str(ADJUSTMENT_KINDS.get(k, k)) for k in value]
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "–"
    words = VALUE_WORDS.get(key)
    if words and str(value) in words:
        return str(words[str(value)])
    return str(value)


def readable_export(data: dict[str, Any], when: Any) -> list[tuple[str, str, Any]]:
    """The export as sections to read, each (title, kind, value): kind "text" with a
    string, "fields" with [(label, text)], "items" with [[(label, text)], ...], or
    "empty". ``when`` formats a datetime for the reader."""
    sections: list[tuple[str, str, Any]] = []
    for key, value in data.items():
        if not value:
            sections.append((_label(key), "empty", None))
        elif isinstance(value, dict):
            sections.append((_label(key), "fields", [(_label(k), _value(k, v, when))
                                                     for k, v in value.items()]))
        elif isinstance(value, list):
            sections.append((_label(key), "items", [[(_label(k), _value(k, v, when))
                                                     for k, v in item.items()]
                                                    for item in value]))
        else:
            sections.append((_label(key), "text", _value(key, value, when)))
    return sections
