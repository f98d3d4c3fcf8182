"""Meeting link validation, Jitsi room links, and the platform registry and guide built on them."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask, render_template
from flask_babel import Babel, lazy_gettext

from portal.platforms.links import (
    PLATFORM_KEYS,
    InvalidMeetingLink,
    new_jitsi_room_link,
    validate_meeting_link,
)
from portal.platforms.registry import (
    PLATFORMS,
    TROUBLESHOOTING,
    get_platform,
    platform_choices,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "portal" / "templates"

TEAMS_LONG = (
    "https://teams.microsoft.com/l/meetup-join/"
    "19%3ameeting_NjQ5YzM3ZTItYjU5Ni00ZTI1LWIzNTItMDU5ZjQ0ZTc1YzYz%40thread.v2/0"
    "?context=%7b%22Tid%22%3a%2272f988bf-86f1-41af-91ab-2d7cd011db47%22%2c"
    "%22Oid%22%3a%22a1b2c3d4-0000-4000-8000-123456789abc%22%7d"
)
TEAMS_CHANNEL = (
    "https://teams.microsoft.com/l/meetup-join/"
    "19%3a0f2b8e2c9d5f4a7b8c1d2e3f4a5b6c7d%40thread.tacv2/1612345678901"
    "?context=%7b%22Tid%22%3a%22x%22%7d"
)


def safelink(url: str, host: str = "eur03.safelinks.protection.outlook.com") -> str:
    """Wrap ``url`` the way Outlook Safe Links does (the target percent-encoded in ?url=)."""
    return (
        f"https://{host}/?url={quote(url, safe='')}"
        "&data=05%7C02%7Crecruiter%40example.se%7C0%7C0&sdata=abc%3D&reserved=0"
    )


@pytest.fixture
def bare_app() -> Flask:
    """A bare app with Babel, enough to render the guide partial and evaluate lazy strings."""
    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.config.update(TESTING=True, BABEL_DEFAULT_LOCALE="en")
    Babel(app)
    return app


# --- valid links ---------------------------------------------------------------------------------

VALID = [
    # Microsoft Teams
    ("teams", TEAMS_LONG, TEAMS_LONG),
    ("teams", TEAMS_LONG + "&utm_source=ats&utm_campaign=spring", TEAMS_LONG),
    ("teams", TEAMS_LONG + "&anon=true", TEAMS_LONG + "&anon=true"),
    ("teams", TEAMS_CHANNEL, TEAMS_CHANNEL),
    (
        "teams",
        "https://teams.microsoft.com/l/meetup-join/19:meeting_abc@thread.v2/0",
        "https://teams.microsoft.com/l/meetup-join/19:meeting_abc@thread.v2/0",
    ),
    (
        "teams",
        "https://TEAMS.microsoft.com/l/meetup-join/19%3Ameeting_abc%40thread.v2/0",
        "https://teams.microsoft.com/l/meetup-join/19%3Ameeting_abc%40thread.v2/0",
    ),
    (
        "teams",
        "https://teams.microsoft.com/meet/123456789012?p=AbCd1234",
        "https://teams.microsoft.com/meet/123456789012?p=AbCd1234",
    ),
    (
        "teams",
        "https://teams.live.com/meet/9876543210987?p=xYz12",
        "https://teams.live.com/meet/9876543210987?p=xYz12",
    ),
    (
        "teams",
        TEAMS_LONG.replace("teams.microsoft.com", "gov.teams.microsoft.us"),
        TEAMS_LONG.replace("teams.microsoft.com", "gov.teams.microsoft.us"),
    ),
    (
        "teams",
        TEAMS_LONG.replace("teams.microsoft.com", "teams.microsoft.us"),
        TEAMS_LONG.replace("teams.microsoft.com", "teams.microsoft.us"),
    ),
    (
        "teams",
        TEAMS_LONG.replace("teams.microsoft.com", "gov.teams.microsoft.com"),
        TEAMS_LONG.replace("teams.microsoft.com", "gov.teams.microsoft.com"),
    ),
    ("teams", f"  \n{TEAMS_LONG}\t ", TEAMS_LONG),
    ("teams", TEAMS_LONG + "#anchor", TEAMS_LONG),
    (
        "teams",
        "https://teams.microsoft.com:443/meet/123456789012?p=Ab1",
        "https://teams.microsoft.com/meet/123456789012?p=Ab1",
    ),
    # Zoom
    ("zoom", "https://zoom.us/j/123456789", "https://zoom.us/j/123456789"),
    ("zoom", "https://zoom.us/j/12345678901", "https://zoom.us/j/12345678901"),
    ("zoom", "https://zoom.us/j/123456789/", "https://zoom.us/j/123456789/"),
    (
        "zoom",
        "https://us02web.zoom.us/j/85412345678?pwd=Qk5TeXlBZz09RmxzQ1E2WXhXUT09",
        "https://us02web.zoom.us/j/85412345678?pwd=Qk5TeXlBZz09RmxzQ1E2WXhXUT09",
    ),
    (
        "zoom",
        "https://acme.zoom.us/j/85412345678?pwd=abc.1&utm_medium=email#success",
        "https://acme.zoom.us/j/85412345678?pwd=abc.1",
    ),
    ("zoom", "https://zoom.us/my/jane.doe", "https://zoom.us/my/jane.doe"),
    ("zoom", "https://zoom.us/wc/join/123456789", "https://zoom.us/wc/join/123456789"),
    ("zoom", "https://zoom.us/wc/123456789/join", "https://zoom.us/wc/123456789/join"),
    ("zoom", "https://zoomgov.com/j/1234567890", "https://zoomgov.com/j/1234567890"),
    ("zoom", "https://agency.zoomgov.com/j/1234567890", "https://agency.zoomgov.com/j/1234567890"),
    ("zoom", "https://zoom.com/j/123456789", "https://zoom.com/j/123456789"),
    ("zoom", "https://zoom.de/j/123456789", "https://zoom.de/j/123456789"),
    ("zoom", "https://zoom.com.cn/j/123456789", "https://zoom.com.cn/j/123456789"),
    ("zoom", "https://zoom.us/j/123456789?fbclid=IwAR0abc", "https://zoom.us/j/123456789"),
    # Google Meet
    ("meet", "https://meet.google.com/abc-defg-hij", "https://meet.google.com/abc-defg-hij"),
    (
        "meet",
        "https://meet.google.com/abc-defg-hij?authuser=0",
        "https://meet.google.com/abc-defg-hij",
    ),
    (
        "meet",
        "https://meet.google.com/abc-defg-hij?hs=122&authuser=1",
        "https://meet.google.com/abc-defg-hij?hs=122",
    ),
    ("meet", "https://meet.google.com/ABC-DEFG-HIJ/", "https://meet.google.com/abc-defg-hij"),
    (
        "meet",
        "https://meet.google.com/lookup/interview-team",
        "https://meet.google.com/lookup/interview-team",
    ),
    ("meet", "https://g.co/meet/interview", "https://g.co/meet/interview"),
    # Jitsi Meet (meet.jit.si is always accepted)
    ("jitsi", "https://meet.jit.si/InterviewRoom", "https://meet.jit.si/InterviewRoom"),
    ("jitsi", "https://meet.jit.si/InterviewRoom/", "https://meet.jit.si/InterviewRoom"),
    (
        "jitsi",
        "https://meet.jit.si/InterviewRoom#config.startWithVideoMuted=true",
        "https://meet.jit.si/InterviewRoom#config.startWithVideoMuted=true",
    ),
    (
        "jitsi",
        "https://meet.jit.si/Room#config.prejoinConfig.enabled=true&userInfo.displayName=%22Bo%22",
        "https://meet.jit.si/Room#config.prejoinConfig.enabled=true",
    ),
    ("jitsi", "https://meet.jit.si/Room#jitsi_meet_external_api_id=0", "https://meet.jit.si/Room"),
    ("jitsi", "https://meet.jit.si/Intervju-Å", "https://meet.jit.si/Intervju-%C3%85"),
    ("jitsi", "https://meet.jit.si/Room?utm_source=x", "https://meet.jit.si/Room"),
    # Whereby
    ("whereby", "https://whereby.com/interview-room", "https://whereby.com/interview-room"),
    (
        "whereby",
        "https://acme.whereby.com/interview-0e0b6f9a-4e8c-4c6b-9d2e-2b1f6f3a9c11",
        "https://acme.whereby.com/interview-0e0b6f9a-4e8c-4c6b-9d2e-2b1f6f3a9c11",
    ),
    ("whereby", "https://whereby.com/Room?lang=sv", "https://whereby.com/Room?lang=sv"),
    ("whereby", "https://whereby.com/room#top", "https://whereby.com/room"),
]


@pytest.mark.parametrize(("platform", "url", "expected"), VALID)
def test_valid_links_are_cleaned(platform: str, url: str, expected: str) -> None:
    assert validate_meeting_link(platform, url) == expected


@pytest.mark.parametrize(("platform", "url", "expected"), VALID)
def test_cleaning_is_idempotent(platform: str, url: str, expected: str) -> None:
    assert validate_meeting_link(platform, expected) == expected


# --- Outlook Safe Links --------------------------------------------------------------------------


@pytest.mark.parametrize(("platform", "url", "expected"), VALID[::4])
def test_safe_links_are_unwrapped(platform: str, url: str, expected: str) -> None:
    assert validate_meeting_link(platform, safelink(url.strip())) == expected


def test_safe_links_inner_tracking_is_stripped() -> None:
    wrapped = safelink("https://zoom.us/j/123456789?pwd=a%2Bb&utm_medium=mail")
    assert validate_meeting_link("zoom", wrapped) == "https://zoom.us/j/123456789?pwd=a%2Bb"


def test_safe_links_twice_wrapped() -> None:
    wrapped = safelink(safelink(TEAMS_LONG), host="nam12.safelinks.protection.outlook.com")
    assert validate_meeting_link("teams", wrapped) == TEAMS_LONG


def test_safe_links_wrapping_endlessly_is_refused() -> None:
    wrapped = "https://zoom.us/j/123456789"
    for _ in range(5):
        wrapped = safelink(wrapped)
    with pytest.raises(InvalidMeetingLink) as info:
        validate_meeting_link("zoom", wrapped)
    assert info.value.code == "safelink"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://eur03.safelinks.protection.outlook.com/?data=05%7C02&reserved=0", "safelink"),
        ("https://eur03.safelinks.protection.outlook.com/?url=&data=05", "safelink"),
        (safelink("http://zoom.us/j/123456789"), "http"),
        (safelink("https://evil.example/j/123456789"), "not_platform"),
        (safelink("https://zoom.us/s/123456789?zak=abc"), "host_link"),
    ],
)
def test_safe_links_contents_are_checked(url: str, code: str) -> None:
    with pytest.raises(InvalidMeetingLink) as info:
        validate_meeting_link("zoom", url)
    assert info.value.code == code


# --- refused links -------------------------------------------------------------------------------

INVALID = [
    # Anything, any platform
    ("zoom", "", "empty"),
    ("zoom", "   \n ", "empty"),
    ("skype", "https://join.skype.com/abc", "platform"),
    ("other", "https://zoom.us/j/123456789", "platform"),
    ("", "https://zoom.us/j/123456789", "platform"),
    ("zoom", "http://zoom.us/j/123456789", "http"),
    ("zoom", "HTTP://zoom.us/j/123456789", "http"),
    ("zoom", "zoom.us/j/123456789", "no_scheme"),
    ("zoom", "www.zoom.us/j/123456789", "no_scheme"),
    ("zoom", "zoommtg://zoom.us/join?confno=123456789", "no_scheme"),
    ("teams", "msteams:/l/meetup-join/19%3ameeting_abc%40thread.v2/0", "no_scheme"),
    ("zoom", "ftp://zoom.us/j/123456789", "no_scheme"),
    ("zoom", "https:/zoom.us/j/123456789", "no_scheme"),
    ("zoom", "javascript:alert(1)", "no_scheme"),
    ("zoom", "https://zoom.us/j/123 456 789", "spaces"),
    ("zoom", "https://zoom.us/j/123456789\nhttps://evil.example/", "spaces"),
    ("zoom", "https://zoom.us/j/123456789\x00", "spaces"),
    ("zoom", "https://zoom.us@evil.example/j/123456789", "malformed"),
    ("zoom", "https://user:pass@zoom.us/j/123456789", "malformed"),
    ("zoom", "https://zoom.us:99999/j/123456789", "malformed"),
    ("zoom", "https://zoom.us:port/j/123456789", "malformed"),
    ("zoom", "https:///j/123456789", "malformed"),
    ("zoom", "https://localhost/j/123456789", "malformed"),
    ("zoom", "https://[::1]/j/123456789", "malformed"),
    ("zoom", "https://zoom.us/j/123456789?pwd=" + "a" * 9000, "too_long"),
    ("zoom", "https://zoom.us/j/123456789?pwd=" + "a" * 3000, "too_long"),
    # Microsoft Teams
    ("teams", "https://teams.microsoft.com/l/meeting/new", "new_meeting"),
    ("teams", "https://teams.microsoft.com/l/meeting/new?subject=Interview", "new_meeting"),
    ("teams", "https://teams.microsoft.com/meet/123456789012", "passcode"),
    ("teams", "https://teams.microsoft.com/meet/123456789012?p=", "passcode"),
    ("teams", "https://teams.live.com/meet/123456789012?anon=true", "passcode"),
    (
        "teams",
        "https://teams.microsoft.com/l/channel/19%3aabc%40thread.tacv2/General",
        "not_platform",
    ),
    ("teams", "https://teams.microsoft.com/", "not_platform"),
    ("teams", "https://teams.microsoft.com/l/meetup-join/", "not_platform"),
    ("teams", "https://teams.microsoft.com/meet/abc?p=x", "not_platform"),
    (
        "teams",
        TEAMS_LONG.replace("teams.microsoft.com", "teams.microsoft.com.evil.example"),
        "not_platform",
    ),
    (
        "teams",
        TEAMS_LONG.replace("teams.microsoft.com", "evil.teams.microsoft.com"),
        "not_platform",
    ),
    (
        "teams",
        TEAMS_LONG.replace("teams.microsoft.com", "teams.microsoft.com:8443"),
        "not_platform",
    ),
    ("teams", "https://zoom.us/j/123456789", "not_platform"),
    # Zoom
    ("zoom", "https://zoom.us/s/123456789?zak=eyJ0eXAiOiJKV1Qi", "host_link"),
    ("zoom", "https://us02web.zoom.us/s/85412345678", "host_link"),
    ("zoom", "https://zoom.us/j/123456789?zak=eyJ0eXAiOiJKV1Qi", "host_link"),
    ("zoom", "https://zoom.us/j/12345678", "not_platform"),
    ("zoom", "https://zoom.us/j/123456789012", "not_platform"),
    ("zoom", "https://zoom.us/j/abc", "not_platform"),
    ("zoom", "https://zoom.us/", "not_platform"),
    ("zoom", "https://zoom.us/meeting/register/tZ0kcOGupjsiH9Y", "not_platform"),
    ("zoom", "https://zoom.us/j/123456789/extra", "not_platform"),
    ("zoom", "https://notzoom.us/j/123456789", "not_platform"),
    ("zoom", "https://zoom.us.evil.example/j/123456789", "not_platform"),
    ("zoom", "https://zoom.us:8443/j/123456789", "not_platform"),
    ("zoom", "https://meet.google.com/abc-defg-hij", "not_platform"),
    # Google Meet
    ("meet", "https://meet.google.com/new", "new_meeting"),
    ("meet", "https://meet.google.com/new?authuser=0", "new_meeting"),
    ("meet", "https://meet.google.com/", "not_platform"),
    ("meet", "https://meet.google.com/abc-defg-hi", "not_platform"),
    ("meet", "https://meet.google.com/abcdefghij", "not_platform"),
    ("meet", "https://meet.google.com/abc-defg-hij/extra", "not_platform"),
    ("meet", "https://meet.google.com.evil.example/abc-defg-hij", "not_platform"),
    ("meet", "https://google.com/abc-defg-hij", "not_platform"),
    ("meet", "https://g.co/abc-defg-hij", "not_platform"),
    ("meet", "https://g.co/meet/", "not_platform"),
    # Jitsi Meet
    ("jitsi", "https://meet.jit.si", "no_room"),
    ("jitsi", "https://meet.jit.si/", "no_room"),
    ("jitsi", "https://jitsi.example.se/InterviewRoom", "not_platform"),
    ("jitsi", "https://meet.jit.si/static/close.html", "not_platform"),
    ("jitsi", "https://meet.jit.si/config.js", "not_platform"),
    ("jitsi", "https://meet.jit.si/a/b", "not_platform"),
    ("jitsi", "https://meet.jit.si/-room", "not_platform"),
    ("jitsi", "https://meet.jit.si:8443/Room", "not_platform"),
    ("jitsi", "https://meet.jit.si.evil.example/Room", "not_platform"),
    ("jitsi", "https://meet.jit.si/Room?jwt=eyJhbGciOiJIUzI1NiJ9.e30.x", "token"),
    # Whereby
    ("whereby", "https://whereby.com/interview?roomKey=abc123", "host_link"),
    ("whereby", "https://acme.whereby.com/interview?RoomKey=abc123", "host_link"),
    ("whereby", "https://whereby.com/", "not_platform"),
    ("whereby", "https://whereby.com/user", "not_platform"),
    ("whereby", "https://whereby.com/room/extra", "not_platform"),
    ("whereby", "https://a.b.whereby.com/room", "not_platform"),
    ("whereby", "https://whereby.com.evil.example/room", "not_platform"),
    ("whereby", "https://notwhereby.com/room", "not_platform"),
    ("whereby", "https://whereby.com:8443/room", "not_platform"),
]


@pytest.mark.parametrize(("platform", "url", "code"), INVALID)
def test_invalid_links_are_refused(platform: str, url: str, code: str) -> None:
    with pytest.raises(InvalidMeetingLink) as info:
        validate_meeting_link(platform, url)
    assert info.value.code == code


@pytest.mark.parametrize(("platform", "url", "code"), INVALID)
def test_messages_explain_without_echoing_input(platform: str, url: str, code: str) -> None:
    # The message is rendered as markup by Jinja (LazyString.__html__), so it must never carry
    # the pasted text.
    with pytest.raises(InvalidMeetingLink) as info:
        validate_meeting_link(platform, url)
    text = str(info.value.message)
    assert len(text) > 10
    assert str(info.value) == text
    assert "evil" not in text
    assert "<" not in text


def test_invalid_link_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="https://"):
        validate_meeting_link("zoom", "http://zoom.us/j/123456789")


@pytest.mark.parametrize(
    ("platform", "url", "needle"),
    [
        ("zoom", "https://zoom.us/", "https://zoom.us/j/123456789"),
        ("meet", "https://meet.google.com/", "https://meet.google.com/abc-defg-hij"),
        ("whereby", "https://whereby.com/", "https://whereby.com/your-room"),
        ("teams", "https://teams.microsoft.com/", "https://teams.microsoft.com/meet/"),
        ("zoom", "https://zoom.us/s/123456789", "host link"),
        ("whereby", "https://whereby.com/r?roomKey=k", "host link"),
        ("teams", "https://teams.microsoft.com/meet/123456789012", "?p="),
        ("zoom", "http://zoom.us/j/123456789", "https://"),
    ],
)
def test_messages_show_what_a_good_link_looks_like(
    bare_app: Flask, platform: str, url: str, needle: str
) -> None:
    with pytest.raises(InvalidMeetingLink) as info:
        validate_meeting_link(platform, url)
    # Evaluated inside a request, as a view would: the English msgid comes back.
    with bare_app.test_request_context():
        assert needle in str(info.value.message)


# --- self-hosted Jitsi ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "url", "expected"),
    [
        (
            "https://video.example.se",
            "https://video.example.se/InterviewRoom",
            "https://video.example.se/InterviewRoom",
        ),
        (
            "https://video.example.se/",
            "https://VIDEO.example.se/InterviewRoom?utm_source=x",
            "https://video.example.se/InterviewRoom",
        ),
        (
            "https://example.se/jitsi/",
            "https://example.se/jitsi/InterviewRoom",
            "https://example.se/jitsi/InterviewRoom",
        ),
        (
            "https://video.example.se:8443",
            "https://video.example.se:8443/Room",
            "https://video.example.se:8443/Room",
        ),
        # meet.jit.si stays valid next to a self-hosted deployment.
        ("https://video.example.se", "https://meet.jit.si/Room", "https://meet.jit.si/Room"),
    ],
)
def test_self_hosted_jitsi_accepted_when_configured(base: str, url: str, expected: str) -> None:
    assert validate_meeting_link("jitsi", url, jitsi_base_url=base) == expected


@pytest.mark.parametrize(
    ("base", "url", "code"),
    [
        ("https://meet.jit.si", "https://video.example.se/Room", "not_platform"),
        ("https://video.example.se", "https://other.example.se/Room", "not_platform"),
        ("https://video.example.se", "https://video.example.se:8443/Room", "not_platform"),
        ("https://video.example.se:8443", "https://video.example.se/Room", "not_platform"),
        ("https://example.se/jitsi", "https://example.se/other/Room", "not_platform"),
        ("https://example.se/jitsi", "https://example.se/jitsiRoom", "not_platform"),
        ("https://example.se/jitsi", "https://example.se/jitsi/", "no_room"),
        ("https://video.example.se", "https://video.example.se/", "no_room"),
        ("https://video.example.se", "http://video.example.se/Room", "http"),
    ],
)
def test_self_hosted_jitsi_refused(base: str, url: str, code: str) -> None:
    with pytest.raises(InvalidMeetingLink) as info:
        validate_meeting_link("jitsi", url, jitsi_base_url=base)
    assert info.value.code == code


def test_jitsi_message_shows_the_configured_server() -> None:
    with pytest.raises(InvalidMeetingLink) as info:
        validate_meeting_link(
            "jitsi", "https://meet.example.org/Room", jitsi_base_url="https://video.example.se/"
        )
    assert "https://video.example.se/InterviewRoom" in str(info.value.message)


@pytest.mark.parametrize(
    "base",
    [
        "http://video.example.se",
        "video.example.se",
        "https://",
        "https://video.example.se/?room=1",
        "https://video.example.se/#x",
        "https://admin@video.example.se",
        "https://video.example.se:notaport",
    ],
)
def test_bad_jitsi_base_is_a_configuration_error(base: str) -> None:
    with pytest.raises(ValueError) as info:
        validate_meeting_link("jitsi", "https://meet.jit.si/Room", jitsi_base_url=base)
    # A configuration mistake must not be shown to a recruiter as "your link is wrong".
    assert not isinstance(info.value, InvalidMeetingLink)
    with pytest.raises(ValueError):
        new_jitsi_room_link(base)


# --- new Jitsi rooms -----------------------------------------------------------------------------

ROOM = re.compile(r"Interview-([a-z0-9]{26})")


@pytest.mark.parametrize(
    ("base", "prefix"),
    [
        ("https://meet.jit.si", "https://meet.jit.si/"),
        ("https://meet.jit.si/", "https://meet.jit.si/"),
        ("https://video.example.se", "https://video.example.se/"),
        ("https://example.se/jitsi/", "https://example.se/jitsi/"),
        ("https://video.example.se:8443", "https://video.example.se:8443/"),
    ],
)
def test_new_jitsi_room_link_is_a_valid_link(base: str, prefix: str) -> None:
    link = new_jitsi_room_link(base)
    assert link.startswith(prefix)
    assert ROOM.fullmatch(link[len(prefix) :])
    assert validate_meeting_link("jitsi", link, jitsi_base_url=base) == link


def test_new_jitsi_room_links_differ() -> None:
    links = {new_jitsi_room_link("https://meet.jit.si") for _ in range(200)}
    assert len(links) == 200


def test_new_jitsi_room_link_has_enough_randomness() -> None:
    link = new_jitsi_room_link("https://meet.jit.si")
    token = ROOM.fullmatch(link.removeprefix("https://meet.jit.si/"))
    assert token
    # Lower-case letters and digits only (Jitsi room names are case-insensitive), so each
    # character carries log2(36) bits.
    assert len(token.group(1)) * math.log2(36) >= 128
    assert len(link) < 80


# --- registry and guide --------------------------------------------------------------------------


def test_registry_and_validator_know_the_same_platforms() -> None:
    assert tuple(PLATFORMS) == PLATFORM_KEYS == ("teams", "zoom", "meet", "jitsi", "whereby")
    assert platform_choices() == [
        ("teams", "Microsoft Teams"),
        ("zoom", "Zoom"),
        ("meet", "Google Meet"),
        ("jitsi", "Jitsi Meet"),
        ("whereby", "Whereby"),
    ]
    assert get_platform("zoom") is PLATFORMS["zoom"]
    assert get_platform("skype") is None
    assert get_platform(None) is None


def test_only_zoom_has_a_test_page() -> None:
    assert {k: p.test_page_url for k, p in PLATFORMS.items() if p.test_page_url} == {
        "zoom": "https://zoom.us/test"
    }


@pytest.mark.parametrize("key", PLATFORM_KEYS)
def test_guide_renders_plain_semantic_html(bare_app: Flask, key: str) -> None:
    platform = PLATFORMS[key]
    with bare_app.test_request_context():
        html = render_template("candidate/_platform_guide.html", platform=platform)
        steps = [str(s) for s in platform.steps_computer + platform.steps_phone]
        trouble = [str(t) for pair in TROUBLESHOOTING for t in pair]
    assert "style" not in html
    assert "<script" not in html
    assert "<h1" not in html
    assert html.count("<h2") == 1
    for heading in (
        "Join from a computer",
        "Join from a phone",
        "Do I need an app?",
        "Supported browsers",
        "Test your sound and picture",
        "While you wait",
        "If sound or picture fails",
    ):
        assert f">{heading}</h3>" in html
    assert html.count("<details>") == len(TROUBLESHOOTING)
    for text in steps + trouble:
        assert text.replace("&", "&amp;").replace("'", "&#39;") in html
    for anchor in re.findall(r"<a [^>]*>", html):
        assert 'rel="noopener noreferrer"' in anchor
    assert ("https://zoom.us/test" in html) == (key == "zoom")


def test_guide_escapes_registry_texts(bare_app: Flask) -> None:
    # LazyString counts as markup in Jinja; the partial must still escape it.
    platform = replace(PLATFORMS["jitsi"], browser_join=lazy_gettext("<b>bold</b> & more"))
    with bare_app.test_request_context():
        html = render_template("candidate/_platform_guide.html", platform=platform)
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in html
