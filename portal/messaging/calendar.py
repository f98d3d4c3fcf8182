"""Calendar files (RFC 5545) for interviews: one stable UID per interview and a SEQUENCE
that grows with every change, so calendars update the event instead of adding a new one.

Times are always written in UTC ("...Z"): a TZID needs a VTIMEZONE beside it (RFC 5545
3.2.19), and every revision of one event must say its time the same way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import parseaddr

from icalendar import Alarm, Calendar, Event, vCalAddress, vText

from portal.branding.services import brand_for_opening, contact_line
from portal.extensions import db
from portal.hiring.models import Interview
from portal.timeutil import utcnow


def interview_event(uid: str, sequence: int, start: datetime, end: datetime, summary: str,
                    description: str, location: str, stamp: datetime | None = None) -> Event:
    """The VEVENT that every copy of an interview shares (the invitation, the copy written
    into a panel member's calendar, their subscribed feed): the invitation's UID and
    SEQUENCE, the times in UTC, its title and text, the meeting link as its place."""
    event = Event()
    event.add("uid", uid)
    event.add("sequence", sequence)
    event.add("dtstamp", (stamp or utcnow()).astimezone(UTC))
    event.add("dtstart", start.astimezone(UTC))
    event.add("dtend", end.astimezone(UTC))
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", location)
    return event


def interview_ics(
    interview: Interview,
    *,
    method: str,
    summary: str,
    description: str,
    organizer: str,
    attendees: list[tuple[str, str]],
    uninvited: bool = False,
) -> str:
    """An iCalendar text for ``interview``.

    ``method`` is REQUEST (invitation or update), CANCEL, or PUBLISH (a plain download).
    ``attendees`` are (name, email) pairs; ``organizer`` is a "Name <address>" string.
    ``uninvited`` (with CANCEL) takes only ``attendees`` off an event that goes on: RFC 5546
    3.2.5 lists just them and forbids STATUS:CANCELLED, which would cancel it for everyone.
    """
    # The employer's brand (the opening's, else the default): its name as the organizer's
    # name, and its name and contact person at the end of the description.
    brand = brand_for_opening(db.session, interview.application.opening)
    if brand is not None:
        contact = contact_line(brand)
        description = f"{description}\n\n{brand.name}" + (f"\n{contact}" if contact else "")
    cal = Calendar()
    cal.add("prodid", "-//Candidate portal//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    event = interview_event(interview.uid, interview.sequence, interview.starts_at,
                            interview.ends_at, summary, description, interview.meeting_url)
    event.add("url", interview.meeting_url)
    uninvited = uninvited and method == "CANCEL" and not interview.is_cancelled
    cancelled = method == "CANCEL" or interview.is_cancelled
    if not uninvited:
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    org_name, org_addr = parseaddr(organizer)
    if org_addr:
        org = vCalAddress(f"mailto:{org_addr}")
        org.params["cn"] = vText(brand.name if brand is not None else (org_name or org_addr))
        event["organizer"] = org
    if method != "PUBLISH":
        for name, email in attendees:
            attendee = vCalAddress(f"mailto:{email}")
            attendee.params["cn"] = vText(name)
            attendee.params["role"] = vText("REQ-PARTICIPANT")
            attendee.params["partstat"] = vText("NEEDS-ACTION")
            attendee.params["rsvp"] = vText("FALSE")
            event.add("attendee", attendee, encode=0)
    if not cancelled and method != "CANCEL":
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", summary)
        alarm.add("trigger", timedelta(minutes=-15))
        event.add_component(alarm)
    cal.add_component(event)
    return cal.to_ical().decode()
