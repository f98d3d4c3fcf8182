"""Check and clean the meeting links recruiters paste, and make new Jitsi Meet rooms.

A recruiter copies a link from an invitation, a mail client or a browser and pastes it into the
back office; the candidate later gets exactly what we store. So a link is accepted only when it
is an https guest link of the chosen platform, and it is cleaned on the way in: mail "Safe Links"
wrappers are removed, tracking parameters are dropped, and parts that only matter to the sender
(fragments, account selectors) are left out.

The rules follow the patterns that public link detectors accept for each service; see
"Validating a pasted link" in the project's platform notes.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from flask_babel import LazyString, lazy_gettext

__all__ = [
    "PLATFORM_KEYS",
    "InvalidMeetingLink",
    "new_jitsi_room_link",
    "validate_meeting_link",
]

#: The platforms a link can be checked for, in the order the registry lists them.
PLATFORM_KEYS: tuple[str, ...] = ("teams", "zoom", "meet", "jitsi", "whereby")

# Teams invitation links are long (often 300-600 characters) and a Safe Links wrapper encodes
# them again, so the input limit is generous; what we store must still fit a sane column.
MAX_INPUT_LENGTH = 8192
MAX_LINK_LENGTH = 2048

# Safe Links can in principle wrap a link that is itself wrapped (forwarded mail); a few rounds
# cover real mail without letting a crafted value loop for long.
_MAX_UNWRAP = 3

# Messages. They are shown to recruiters next to the field. None of them may include the pasted
# text: flask_babel's LazyString renders as markup in Jinja, so user input must never get in.
_MSG_PLATFORM = lazy_gettext("Choose one of the video platforms in the list.")
_MSG_EMPTY = lazy_gettext("Paste the meeting link.")
_MSG_TOO_LONG = lazy_gettext(
    "This link is too long to be a meeting link. Copy it again from the meeting invitation."
)
_MSG_SPACES = lazy_gettext(
    "The link contains spaces or line breaks. Copy it again from the meeting invitation, "
    "all in one piece."
)
_MSG_NO_SCHEME = lazy_gettext("Paste the whole meeting link, starting with https://.")
_MSG_HTTP = lazy_gettext("Use an https:// link. Links that start with http:// are not secure.")
_MSG_MALFORMED = lazy_gettext(
    "This does not look like a working web link. Copy it again from the meeting invitation."
)
_MSG_SAFELINK = lazy_gettext(
    "This is an Outlook Safe Links address, and the meeting link inside it is missing. "
    "Copy the link from the original invitation instead."
)
_MSG_HOST_LINK = lazy_gettext(
    "This is a host link (it starts the meeting as host); paste the link for guests instead."
)
_MSG_NEW_MEETING = lazy_gettext(
    "This link creates a new meeting instead of opening yours. Create the meeting first, "
    "then paste its join link."
)
_MSG_TEAMS = lazy_gettext(
    "This is not a Microsoft Teams meeting link. It should look like "
    "https://teams.microsoft.com/l/meetup-join/… or "
    "https://teams.microsoft.com/meet/123456789012?p=…"
)
_MSG_TEAMS_PASSCODE = lazy_gettext(
    "This Teams link is missing its passcode (the part that starts with ?p=). "
    "Copy the whole link from the meeting invitation."
)
_MSG_ZOOM = lazy_gettext(
    "This is not a Zoom meeting link. It should look like https://zoom.us/j/123456789."
)
_MSG_MEET = lazy_gettext(
    "This is not a Google Meet link. It should look like https://meet.google.com/abc-defg-hij."
)
_MSG_WHEREBY = lazy_gettext(
    "This is not a Whereby room link. It should look like https://whereby.com/your-room."
)
_MSG_TOKEN = lazy_gettext(
    "This link contains a personal access token (jwt=). Paste the room link without it."
)


class InvalidMeetingLink(ValueError):
    """A pasted link that cannot be sent to candidates.

    ``message`` is a lazy, translatable explanation for the recruiter; ``code`` is a short
    machine-readable reason (for logs and tests), e.g. ``"http"`` or ``"host_link"``.
    """

    def __init__(self, code: str, message: LazyString) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class _Link:
    """A split https link; ``path``, ``query`` and ``fragment`` stay percent-encoded as given."""

    host: str
    port: int | None
    path: str
    query: tuple[str, ...]  # raw "key=value" pieces, in their original order and encoding
    fragment: str

    def param(self, name: str) -> str | None:
        """The decoded value of the first query parameter called ``name`` (case-insensitive)."""
        for piece in self.query:
            for key, value in parse_qsl(piece, keep_blank_values=True):
                if key.lower() == name:
                    return value
        return None

    def without_params(self, *names: str) -> _Link:
        """A copy without the named query parameters (case-insensitive)."""
        kept = tuple(p for p in self.query if _param_name(p) not in names)
        return replace(self, query=kept)

    def url(self) -> str:
        """Put the link back together: always https, no user info, no default port."""
        netloc = self.host if self.port in (None, 443) else f"{self.host}:{self.port}"
        text = f"https://{netloc}{self.path}"
        if self.query:
            text += "?" + "&".join(self.query)
        if self.fragment:
            text += "#" + self.fragment
        return text


@dataclass(frozen=True)
class _JitsiBase:
    """A Jitsi deployment: host, port and the path its rooms live under ("" at the root)."""

    host: str
    port: int | None
    prefix: str

    @property
    def url(self) -> str:
        netloc = self.host if self.port in (None, 443) else f"{self.host}:{self.port}"
        return f"https://{netloc}{self.prefix}"


# A DNS name with at least one dot, in lower case ASCII (IDNs arrive as xn-- labels). Anything
# else (IPv6 literals, stray characters) is not something a meeting service gives out.
_HOSTNAME = re.compile(
    r"(?=.{1,253}\Z)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+"
)

# Parameters that mail and ad trackers append; meeting services ignore them, and they tell the
# tracker who clicked.
_TRACKING_PARAMS = frozenset({"fbclid", "gclid", "msclkid", "mc_cid", "mc_eid"})

_SAFELINKS_SUFFIX = ".safelinks.protection.outlook.com"

# Characters left alone when re-encoding a path or query: the RFC 3986 delimiters and "%".
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"


def _param_name(piece: str) -> str:
    return unquote(piece.split("=", 1)[0]).strip().lower()


def _is_tracking(piece: str) -> bool:
    name = _param_name(piece)
    return name.startswith("utm_") or name in _TRACKING_PARAMS


def _parse(text: str) -> _Link:
    """Split ``text`` into a :class:`_Link`, insisting on a plain https URL with a DNS host."""
    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidMeetingLink("too_long", _MSG_TOO_LONG)
    if any(ch.isspace() or not ch.isprintable() for ch in text):
        raise InvalidMeetingLink("spaces", _MSG_SPACES)
    try:
        parts = urlsplit(text)
        port = parts.port  # a non-numeric or out-of-range port raises here
    except ValueError as exc:
        raise InvalidMeetingLink("malformed", _MSG_MALFORMED) from exc

    scheme = parts.scheme.lower()
    if scheme == "http":
        raise InvalidMeetingLink("http", _MSG_HTTP)
    if scheme != "https" or not text[len(scheme) :].startswith("://"):
        # "zoom.us/j/1", "msteams:/l/…", "zoommtg://…": none of them opens in every browser.
        raise InvalidMeetingLink("no_scheme", _MSG_NO_SCHEME)
    # User info ("https://zoom.us@evil.example/") only serves to disguise the real host.
    if "@" in parts.netloc:
        raise InvalidMeetingLink("malformed", _MSG_MALFORMED)
    host = (parts.hostname or "").rstrip(".")
    if not _HOSTNAME.fullmatch(host):
        raise InvalidMeetingLink("malformed", _MSG_MALFORMED)

    # Address bars sometimes show non-ASCII room names as typed ("Intervju-Å"); encode such
    # characters so that every stored link is plain ASCII. Existing %XX escapes are kept as is.
    path = quote(parts.path, safe=_URL_SAFE) or "/"
    query = tuple(
        quote(p, safe=_URL_SAFE) for p in parts.query.split("&") if p and not _is_tracking(p)
    )
    return _Link(
        host=host, port=port, path=path, query=query, fragment=quote(parts.fragment, safe=_URL_SAFE)
    )


def _unwrap_safe_links(link: _Link) -> _Link:
    """Replace Outlook Safe Links wrappers by the link they carry in ``?url=``."""
    for _ in range(_MAX_UNWRAP):
        if not link.host.endswith(_SAFELINKS_SUFFIX):
            return link
        inner = (link.param("url") or "").strip()
        if not inner:
            raise InvalidMeetingLink("safelink", _MSG_SAFELINK)
        link = _parse(inner)
    if link.host.endswith(_SAFELINKS_SUFFIX):
        raise InvalidMeetingLink("safelink", _MSG_SAFELINK)
    return link


def _on_standard_port(link: _Link) -> bool:
    return link.port in (None, 443)


# --- Microsoft Teams ---------------------------------------------------------------------------

_TEAMS_HOSTS = frozenset(
    {
        "teams.microsoft.com",
        "teams.live.com",  # Teams (free) for personal accounts
        "teams.microsoft.us",  # US government clouds
        "gov.teams.microsoft.us",
        "gov.teams.microsoft.com",
    }
)
# /l/meetup-join/19:meeting_<id>@thread.v2/0 (channel meetings use thread.tacv2 and a timestamp);
# the colon and at-sign usually arrive percent-encoded.
_TEAMS_MEETUP = re.compile(
    r"/l/meetup-join/19(?:%3a|:)[^/?#]+(?:%40|@)thread\.[a-z0-9]+/\d+/?", re.IGNORECASE
)
# The newer short form: /meet/<meeting id>?p=<passcode>.
_TEAMS_SHORT = re.compile(r"/meet/\d{9,20}/?")
_TEAMS_NEW = re.compile(r"/l/meeting/new/?", re.IGNORECASE)


def _check_teams(link: _Link) -> _Link:
    if link.host not in _TEAMS_HOSTS or not _on_standard_port(link):
        raise InvalidMeetingLink("not_platform", _MSG_TEAMS)
    if _TEAMS_NEW.fullmatch(link.path):
        raise InvalidMeetingLink("new_meeting", _MSG_NEW_MEETING)
    if _TEAMS_SHORT.fullmatch(link.path):
        # Without the passcode the short link only leads to a "enter the passcode" dead end.
        if not (link.param("p") or "").strip():
            raise InvalidMeetingLink("passcode", _MSG_TEAMS_PASSCODE)
    elif not _TEAMS_MEETUP.fullmatch(link.path):
        raise InvalidMeetingLink("not_platform", _MSG_TEAMS)
    return replace(link, fragment="")


# --- Zoom --------------------------------------------------------------------------------------

# Each domain also covers its subdomains: us02web.zoom.us, company vanity hosts, ZoomGov.
_ZOOM_DOMAINS = ("zoom.us", "zoomgov.com", "zoom.com", "zoom.de", "zoom.com.cn")
_ZOOM_ID = r"\d{9,11}"
_ZOOM_PATHS = (
    re.compile(rf"/j/{_ZOOM_ID}/?"),
    re.compile(r"/my/[A-Za-z0-9._-]+/?"),  # personal meeting room
    re.compile(rf"/wc/join/{_ZOOM_ID}/?"),  # web client
    re.compile(rf"/wc/{_ZOOM_ID}/join/?"),
)
_ZOOM_START = re.compile(r"/s/[^/]+/?")


def _check_zoom(link: _Link) -> _Link:
    on_zoom = any(link.host == d or link.host.endswith("." + d) for d in _ZOOM_DOMAINS)
    if not on_zoom or not _on_standard_port(link):
        raise InvalidMeetingLink("not_platform", _MSG_ZOOM)
    # /s/ is the host's start link, and a zak token signs whoever opens the link in as the host.
    if _ZOOM_START.fullmatch(link.path) or link.param("zak") is not None:
        raise InvalidMeetingLink("host_link", _MSG_HOST_LINK)
    if not any(p.fullmatch(link.path) for p in _ZOOM_PATHS):
        raise InvalidMeetingLink("not_platform", _MSG_ZOOM)
    return replace(link, fragment="")


# --- Google Meet -------------------------------------------------------------------------------

_MEET_CODE = re.compile(r"/([a-z]{3}-[a-z]{4}-[a-z]{3})/?", re.IGNORECASE)
_MEET_LOOKUP = re.compile(r"/lookup/[A-Za-z0-9_-]+/?")
_MEET_NEW = re.compile(r"/new/?", re.IGNORECASE)
_GCO_MEET = re.compile(r"/meet/[A-Za-z0-9_-]+/?")


def _check_meet(link: _Link) -> _Link:
    if not _on_standard_port(link):
        raise InvalidMeetingLink("not_platform", _MSG_MEET)
    if link.host == "meet.google.com":
        if _MEET_NEW.fullmatch(link.path):
            raise InvalidMeetingLink("new_meeting", _MSG_NEW_MEETING)
        code = _MEET_CODE.fullmatch(link.path)
        if code:
            link = replace(link, path="/" + code.group(1).lower())
        elif not _MEET_LOOKUP.fullmatch(link.path):
            raise InvalidMeetingLink("not_platform", _MSG_MEET)
        # authuser picks one of the *sender's* signed-in Google accounts; it means nothing to
        # the candidate and could select the wrong account in their browser.
        link = link.without_params("authuser")
    elif link.host == "g.co":
        if not _GCO_MEET.fullmatch(link.path):
            raise InvalidMeetingLink("not_platform", _MSG_MEET)
    else:
        raise InvalidMeetingLink("not_platform", _MSG_MEET)
    return replace(link, fragment="")


# --- Jitsi Meet --------------------------------------------------------------------------------

_PUBLIC_JITSI = _JitsiBase(host="meet.jit.si", port=None, prefix="")
# Room names: letters, digits, a few punctuation marks, or percent-encoded characters (a room
# called "Intervju-Å" arrives as "Intervju-%C3%85").
_JITSI_ROOM = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.~-]|%[0-9A-Fa-f]{2})*")
# Paths a Jitsi web server serves itself; a "room" with one of these names is a typo or a
# copied asset URL, not a meeting.
_JITSI_RESERVED = frozenset(
    {
        "static",
        "libs",
        "css",
        "images",
        "sounds",
        "fonts",
        "lang",
        "http-bind",
        "xmpp-websocket",
        "colibri-ws",
        "config.js",
        "interface_config.js",
        "external_api.js",
    }
)
# Only "#config.<key>=<value>" settings are kept; other fragment parts (display names, API ids)
# belong to whoever built the link.
_JITSI_CONFIG = re.compile(r"config\.[A-Za-z0-9_.]+=[^&]*")


def _jitsi_base(base_url: str) -> _JitsiBase:
    """Parse the configured Jitsi base URL; a bad value is a configuration error."""
    parts = urlsplit(base_url.strip())
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"Jitsi base URL has a bad port: {base_url!r}") from exc
    host = (parts.hostname or "").rstrip(".")
    if (
        parts.scheme.lower() != "https"
        or "@" in parts.netloc
        or not _HOSTNAME.fullmatch(host)
        or parts.query
        or parts.fragment
    ):
        raise ValueError(f"Jitsi base URL must be a plain https:// URL: {base_url!r}")
    return _JitsiBase(host=host, port=port, prefix=parts.path.rstrip("/"))


def _jitsi_example(base: _JitsiBase) -> str:
    return f"{base.url}/InterviewRoom"


def _check_jitsi(link: _Link, jitsi_base_url: str) -> _Link:
    configured = _jitsi_base(jitsi_base_url)
    example = _jitsi_example(configured)
    bases = [configured] if configured == _PUBLIC_JITSI else [configured, _PUBLIC_JITSI]
    for base in bases:
        if link.host != base.host or (link.port or 443) != (base.port or 443):
            continue
        if not (link.path + "/").startswith(base.prefix + "/"):
            continue
        room = link.path[len(base.prefix) :].strip("/")
        if not room:
            raise InvalidMeetingLink(
                "no_room",
                lazy_gettext(
                    "This Jitsi Meet link has no room name. It should look like %(example)s.",
                    example=example,
                ),
            )
        if _JITSI_ROOM.fullmatch(room) and room.lower() not in _JITSI_RESERVED:
            break
    else:
        raise InvalidMeetingLink(
            "not_platform",
            lazy_gettext(
                "This is not a Jitsi Meet link. It should look like %(example)s.",
                example=example,
            ),
        )
    # A JWT in the link is somebody's sign-in (often a moderator's); it must not travel on.
    if link.param("jwt") is not None:
        raise InvalidMeetingLink("token", _MSG_TOKEN)
    pieces = [p for p in link.fragment.split("&") if _JITSI_CONFIG.fullmatch(p)]
    return replace(link, path=f"{base.prefix}/{room}", fragment="&".join(pieces))


# --- Whereby -----------------------------------------------------------------------------------

_WHEREBY_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)?whereby\.com")
# Rooms are one path segment; API-made rooms look like "<prefix>-<uuid>".
_WHEREBY_ROOM = re.compile(r"/([A-Za-z0-9_-]+)/?")
# Whereby's own pages on the same host, not rooms.
_WHEREBY_RESERVED = frozenset({"user", "login", "signup", "information"})


def _check_whereby(link: _Link) -> _Link:
    room = _WHEREBY_ROOM.fullmatch(link.path)
    if (
        not _WHEREBY_HOST.fullmatch(link.host)
        or not _on_standard_port(link)
        or not room
        or room.group(1).lower() in _WHEREBY_RESERVED
    ):
        raise InvalidMeetingLink("not_platform", _MSG_WHEREBY)
    # roomKey makes whoever opens the link the room's host.
    if link.param("roomkey") is not None:
        raise InvalidMeetingLink("host_link", _MSG_HOST_LINK)
    return replace(link, fragment="")


# --- Public API --------------------------------------------------------------------------------


def validate_meeting_link(
    platform: str, url: str, *, jitsi_base_url: str = "https://meet.jit.si"
) -> str:
    """Return ``url`` cleaned up as a guest link for ``platform``, or raise InvalidMeetingLink.

    ``platform`` is one of :data:`PLATFORM_KEYS`. Surrounding whitespace is ignored, Outlook
    Safe Links wrappers are unwrapped, ``utm_*`` and click-tracking parameters are removed, and
    host links (which would hand the candidate the interviewer's controls) are refused.
    ``jitsi_base_url`` names a self-hosted Jitsi deployment whose rooms are accepted besides
    meet.jit.si; an invalid value raises a plain :class:`ValueError` (a configuration error).
    """
    if platform not in PLATFORM_KEYS:
        raise InvalidMeetingLink("platform", _MSG_PLATFORM)
    text = (url or "").strip()
    if not text:
        raise InvalidMeetingLink("empty", _MSG_EMPTY)
    link = _unwrap_safe_links(_parse(text))

    if platform == "teams":
        link = _check_teams(link)
    elif platform == "zoom":
        link = _check_zoom(link)
    elif platform == "meet":
        link = _check_meet(link)
    elif platform == "jitsi":
        link = _check_jitsi(link, jitsi_base_url)
    else:
        link = _check_whereby(link)

    cleaned = link.url()
    if len(cleaned) > MAX_LINK_LENGTH:
        raise InvalidMeetingLink("too_long", _MSG_TOO_LONG)
    return cleaned


# Jitsi hands the room name to its XMPP server as part of an address, and those are
# case-insensitive, so upper-case letters would add no secrecy: use lower case and digits only.
_ROOM_ALPHABET = string.ascii_lowercase + string.digits
# 26 symbols from 36 give 26 * log2(36) ≈ 134 bits, above the 128 bits we want for a room that
# anyone who knows the name can enter.
_ROOM_TOKEN_LENGTH = 26


def new_jitsi_room_link(base_url: str) -> str:
    """Return the link to a fresh, unguessable room on the Jitsi deployment at ``base_url``.

    The room name is ``Interview-`` followed by 26 random lower-case letters and digits, so the
    link passes :func:`validate_meeting_link` for ``"jitsi"`` with the same base URL.
    """
    base = _jitsi_base(base_url)
    token = "".join(secrets.choice(_ROOM_ALPHABET) for _ in range(_ROOM_TOKEN_LENGTH))
    return f"{base.url}/Interview-{token}"
