"""The words a new installation starts with; staff change them under Message templates."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.i18n import stored_words

TEMPLATES: dict[tuple[str, str], tuple[str, str]] = {
    ("next_round", "sv"): (
        "Nästa steg för tjänsten som {role}",
        "Hej {name},\n\nTack för intervjun! Vi vill gärna gå vidare med dig till nästa steg "
        "i processen för tjänsten som {role}. Vi hör av oss inom kort med en tid.\n\n"
        "{personal_line}"),
    ("next_round", "en"): (
        "Next step for the {role} role",
        "Hi {name},\n\nThank you for the interview! We would like to take you on to the "
        "next step of the process for the {role} role. We will be in touch shortly with a "
        "time.\n\n{personal_line}"),
    ("reject_screening", "sv"): (
        "Din ansökan till tjänsten som {role}",
        "Hej {name},\n\nTack för ditt intresse för tjänsten som {role}. Vi har gått igenom "
        "ansökningarna och har valt att gå vidare med andra kandidater vars erfarenhet "
        "bättre matchar kravprofilen.\n\n{personal_line}\n\nVi hoppas att du vill söka hos "
        "oss igen."),
    ("reject_screening", "en"): (
        "Your application for the {role} role",
        "Hi {name},\n\nThank you for your interest in the {role} role. We have reviewed the "
        "applications and chosen to go ahead with other candidates whose experience matches "
        "the requirements more closely.\n\n{personal_line}\n\nWe hope you will apply to us "
        "again."),
    ("reject_interview", "sv"): (
        "Besked om tjänsten som {role}",
        "Hej {name},\n\nTack för att du tog dig tid att träffa oss. Efter noggrant "
        "övervägande har vi beslutat att gå vidare med en annan kandidat till tjänsten som "
        "{role}.\n\n{personal_line}\n\nVi vill gärna hålla kontakten inför framtida roller."),
    ("reject_interview", "en"): (
        "About the {role} role",
        "Hi {name},\n\nThank you for taking the time to meet us. After careful consideration "
        "we have decided to go ahead with another candidate for the {role} role.\n\n"
        "{personal_line}\n\nWe would be glad to stay in touch for future roles."),
    ("offer", "sv"): (
        "Erbjudande: tjänsten som {role}",
        "Hej {name},\n\nVi är glada att kunna erbjuda dig tjänsten som {role}! Vi ringer dig "
        "inom kort för att gå igenom erbjudandet.\n\n{personal_line}"),
    ("offer", "en"): (
        "Offer: the {role} role",
        "Hi {name},\n\nWe are happy to offer you the {role} role! We will call you shortly "
        "to go through the offer.\n\n{personal_line}"),
}

REJECTION_REASONS = (
    "Experience does not match the requirements",
    "Another candidate matched better",
    "Salary expectations",
    "Candidate withdrew",
    "Position closed",
)

# The default reasons are stored in English (a decision keeps the words it was made with);
# a page shows them in the reader's language. A reason staff typed is shown as typed.
REASON_WORDS = {
    "Experience does not match the requirements":
        _l("Experience does not match the requirements"),
    "Another candidate matched better": _l("Another candidate matched better"),
    "Salary expectations": _l("Salary expectations"),
    "Candidate withdrew": _l("Candidate withdrew"),
    "Position closed": _l("Position closed"),
}


def reason_label(label: str) -> str:
    """A rejection reason in the reader's language when it is one of the defaults."""
    return stored_words(REASON_WORDS, label)
