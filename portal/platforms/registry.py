"""The video platforms we support, with plain-language guides for candidates.

The guides are written for someone joining a video interview for the first time, maybe on a
phone and a little nervous. They only promise what the vendors' own material supports; where
behaviour is unconfirmed (for instance joining Teams from a phone without signing in), they
describe what to do if it happens instead of promising it. The facts behind every sentence are
in the project's platform notes.

Every text is an English msgid for ``lazy_gettext``, so it is translated when rendered.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString, lazy_gettext

__all__ = ["PLATFORMS", "TROUBLESHOOTING", "Platform", "get_platform", "platform_choices"]


@dataclass(frozen=True)
class Platform:
    """One video platform and how a guest joins it.

    ``name`` is the brand name and is never translated. ``test_page_url`` is set only where the
    vendor offers a public page for trying sound and picture.
    """

    key: str
    name: str
    browser_join: LazyString  # joining from a computer's web browser, as a guest
    phone_join: LazyString
    app_needed: LazyString  # a short, plain answer to "Do I need an app?"
    browsers: LazyString
    test_page_url: str | None
    test_advice: LazyString
    waiting: LazyString  # what the guest sees before being let in
    steps_computer: tuple[LazyString, ...]
    steps_phone: tuple[LazyString, ...]

    @property
    def troubleshooting(self) -> tuple[tuple[LazyString, LazyString], ...]:
        """The sound and picture checklist; the same for every platform."""
        return TROUBLESHOOTING


# Steps that read the same on every platform share one msgid, so they are translated once.
_OPEN_ON_COMPUTER = lazy_gettext("Open the meeting link from your invitation on your computer.")
_OPEN_ON_PHONE = lazy_gettext("Open the meeting link from your invitation on your phone.")
_NO_APP = lazy_gettext("No. A web browser is enough, on a computer and on a phone.")


TEAMS = Platform(
    key="teams",
    name="Microsoft Teams",
    browser_join=lazy_gettext(
        "On a computer you can usually join straight from your web browser. You don't need to "
        "install anything or sign in."
    ),
    phone_join=lazy_gettext(
        "On a phone, Teams works best in its app. If the link asks you to install Microsoft "
        "Teams, install the free app and then open the link again."
    ),
    app_needed=lazy_gettext(
        "On a computer, no. On a phone, most likely yes: the free Microsoft Teams app."
    ),
    browsers=lazy_gettext(
        "Use an up-to-date Microsoft Edge or Google Chrome: they work best with Teams. Safari "
        "works too. In Firefox the video may not work, so choose another browser."
    ),
    test_page_url=None,
    test_advice=lazy_gettext(
        "Teams has no test page for guests. Open the meeting link a few minutes early: before "
        "you join, Teams shows your camera picture and lets you turn the camera and microphone "
        "on or off."
    ),
    waiting=lazy_gettext(
        "After you join, you will probably wait in a lobby until someone in the meeting lets "
        "you in. Keep the window open. Teams may show “(Unverified)” next to your name. That "
        "is normal for guests and nothing to worry about."
    ),
    steps_computer=(
        _OPEN_ON_COMPUTER,
        lazy_gettext(
            "If the page offers to open the Teams app, choose to continue in this browser instead."
        ),
        lazy_gettext("When the browser asks, allow Teams to use your camera and microphone."),
        lazy_gettext("Type your name."),
        lazy_gettext("Check your picture, and turn the camera and microphone on."),
        lazy_gettext("Click the button to join the meeting."),
    ),
    steps_phone=(
        _OPEN_ON_PHONE,
        lazy_gettext(
            "If your phone asks you to install Microsoft Teams, install the free app, then tap "
            "the meeting link again."
        ),
        lazy_gettext("Follow the steps on the screen to join the meeting."),
        lazy_gettext("When your phone asks, allow Teams to use the camera and microphone."),
        lazy_gettext("Wait until someone in the meeting lets you in."),
    ),
)

ZOOM = Platform(
    key="zoom",
    name="Zoom",
    browser_join=lazy_gettext(
        "On a computer you can join in your web browser, without installing anything and "
        "without a Zoom account. Zoom will offer you its app, but you don't need it."
    ),
    phone_join=lazy_gettext(
        "On a phone, plan to use the free Zoom app. Install it before the interview, then open "
        "the meeting link."
    ),
    app_needed=lazy_gettext(
        "On a computer, no. On a phone, yes: install the free Zoom app before the interview."
    ),
    browsers=lazy_gettext(
        "Use an up-to-date Chrome, Edge, Firefox or Safari. If something doesn't work, try "
        "Chrome or Edge."
    ),
    test_page_url="https://zoom.us/test",
    test_advice=lazy_gettext(
        "Zoom has a test page. It starts a test meeting where you can check your camera, "
        "microphone and speakers. Try it a day or two before the interview."
    ),
    waiting=lazy_gettext(
        "If the interviewer hasn't started the meeting yet, Zoom says that you are waiting for "
        "the host. You may also wait in a waiting room until the interviewer lets you in. Keep "
        "the page open: the meeting starts by itself."
    ),
    steps_computer=(
        _OPEN_ON_COMPUTER,
        lazy_gettext(
            "Zoom will offer to open or download its app. You don't need it: look for the link "
            "“Join from your browser” and click it."
        ),
        lazy_gettext("If Zoom asks, accept the terms and confirm that you are not a robot."),
        lazy_gettext(
            "Type your name. If Zoom asks for a passcode, look for it in your invitation."
        ),
        lazy_gettext("When the browser asks, allow Zoom to use your camera and microphone."),
        lazy_gettext("Choose “Join audio by computer” so that you can hear and be heard."),
    ),
    steps_phone=(
        lazy_gettext(
            "Install the free Zoom app from the App Store or Google Play, preferably the day "
            "before."
        ),
        lazy_gettext(
            "Open the meeting link from your invitation on your phone. It should open in the "
            "Zoom app."
        ),
        lazy_gettext("Type your name, and the passcode if Zoom asks for one."),
        lazy_gettext("When your phone asks, allow Zoom to use the camera and microphone."),
        lazy_gettext(
            "If Zoom asks how to connect the sound, choose the option that uses the internet, "
            "not a phone call."
        ),
    ),
)

MEET = Platform(
    key="meet",
    name="Google Meet",
    browser_join=lazy_gettext(
        "On a computer you can join in your web browser without installing anything. You don't "
        "need a Google account."
    ),
    phone_join=lazy_gettext(
        "On a phone, use the free Google Meet app or the Gmail app. You can join as a guest, "
        "without a Google account."
    ),
    app_needed=lazy_gettext(
        "On a computer, no. On a phone, yes: the free Google Meet app, or the Gmail app."
    ),
    browsers=lazy_gettext(
        "Use an up-to-date Chrome, Firefox, Edge or Safari. If your browser doesn't work and "
        "the invitation has a phone number and PIN, you can call in instead."
    ),
    test_page_url=None,
    test_advice=lazy_gettext(
        "Before you join, Meet shows a preview of your camera. If you see “Check your audio and "
        "video”, click it: you can choose your camera, microphone and speakers, and record a "
        "short test clip that only you can see."
    ),
    waiting=lazy_gettext(
        "After you click “Ask to join”, you wait until someone in the meeting lets you in. "
        "Sometimes you go straight in. Keep the page open."
    ),
    steps_computer=(
        _OPEN_ON_COMPUTER,
        lazy_gettext("When the browser asks, allow Meet to use your camera and microphone."),
        lazy_gettext("Type your name if Meet asks for it."),
        lazy_gettext("Check your picture and sound in the preview."),
        lazy_gettext("Click “Ask to join” and wait until someone lets you in."),
    ),
    steps_phone=(
        lazy_gettext(
            "Install the free Google Meet app, or use the Gmail app. Your phone needs Android "
            "5.0 or later, or iOS 15 or later."
        ),
        lazy_gettext(
            "Open the meeting link from your invitation on your phone. It should open in the app."
        ),
        lazy_gettext("If you don't have a Google account, join as a guest and type your name."),
        lazy_gettext("When your phone asks, allow the app to use the camera and microphone."),
        lazy_gettext("Tap “Ask to join” and wait until someone lets you in."),
    ),
)

JITSI = Platform(
    key="jitsi",
    name="Jitsi Meet",
    browser_join=lazy_gettext(
        "Jitsi Meet works in your web browser. You don't need to install anything or create an "
        "account."
    ),
    phone_join=lazy_gettext(
        "On a phone you can join in your web browser too. The free Jitsi Meet app is an "
        "option, and it works better with Bluetooth headphones."
    ),
    app_needed=_NO_APP,
    browsers=lazy_gettext(
        "Use an up-to-date Chrome, Edge, Firefox or Safari. On an Android phone, use Chrome or "
        "Firefox. On an iPhone, any browser works if the phone is up to date. In Safari you "
        "can't choose speakers inside Jitsi: change them in your Mac's sound settings."
    ),
    test_page_url=None,
    test_advice=lazy_gettext(
        "Jitsi has no separate test page. Open the meeting link a few minutes early: before you "
        "join, Jitsi shows your camera picture and lets you choose your camera and microphone."
    ),
    waiting=lazy_gettext(
        "If you arrive before the interviewer, Jitsi may say that the meeting hasn't started "
        "and ask if you are the host. You don't need to sign in: just wait, and the meeting "
        "starts when the interviewer arrives. If you are asked for a password, look for it in "
        "your invitation."
    ),
    steps_computer=(
        _OPEN_ON_COMPUTER,
        lazy_gettext("When the browser asks, allow Jitsi to use your camera and microphone."),
        lazy_gettext("Type your name."),
        lazy_gettext(
            "Check your picture. If needed, choose your camera and microphone in the menus."
        ),
        lazy_gettext("Click “Join meeting”."),
    ),
    steps_phone=(
        _OPEN_ON_PHONE,
        lazy_gettext(
            "The page may suggest the Jitsi Meet app. You can choose to continue in the browser "
            "instead."
        ),
        lazy_gettext("When your phone asks, allow the browser to use the camera and microphone."),
        lazy_gettext("Type your name and tap “Join meeting”."),
        lazy_gettext("Keep the browser open and the screen on during the interview."),
    ),
)

WHEREBY = Platform(
    key="whereby",
    name="Whereby",
    browser_join=lazy_gettext(
        "Whereby works in your web browser. You don't need to install anything or create an "
        "account."
    ),
    phone_join=lazy_gettext(
        "On a phone you can join in your web browser too. Keep the screen on: if the phone "
        "locks, the call ends after a few minutes."
    ),
    app_needed=_NO_APP,
    browsers=lazy_gettext(
        "Use an up-to-date Chrome, Firefox, Edge or Safari. Chrome works best, and if Safari "
        "gives you trouble, try another browser. On an iPhone, use Safari, Chrome, Firefox or "
        "Edge. On Android, use Chrome, Firefox, Edge or Samsung Internet."
    ),
    test_page_url=None,
    test_advice=lazy_gettext(
        "Before you enter the room, Whereby shows a preview of your camera, so you can check "
        "your picture and choose your camera and microphone. Some rooms also offer a short test "
        "of your devices and connection."
    ),
    waiting=lazy_gettext(
        "If the room is locked, you knock and wait until the interviewer lets you in. If the "
        "interviewer hasn't arrived yet, you may wait until they do. Keep the page open."
    ),
    steps_computer=(
        _OPEN_ON_COMPUTER,
        lazy_gettext("When the browser asks, allow Whereby to use your camera and microphone."),
        lazy_gettext("Check your picture in the preview and type your name."),
        lazy_gettext("Click the button to join. If the room is locked, you knock first."),
    ),
    steps_phone=(
        _OPEN_ON_PHONE,
        lazy_gettext("When your phone asks, allow the browser to use the camera and microphone."),
        lazy_gettext("Type your name and tap the button to join."),
        lazy_gettext("Keep the screen on. If the phone locks, the call ends after a few minutes."),
        lazy_gettext(
            "On an iPhone with iCloud Private Relay turned on, Safari may drop the call. Turn "
            "Private Relay off for the interview, or use another browser."
        ),
    ),
)

#: Every supported platform by key, in the order forms and pages list them.
PLATFORMS: dict[str, Platform] = {p.key: p for p in (TEAMS, ZOOM, MEET, JITSI, WHEREBY)}

#: "No sound or picture": what to try, in order, whichever platform the meeting uses.
TROUBLESHOOTING: tuple[tuple[LazyString, LazyString], ...] = (
    (
        lazy_gettext("Allow the camera and microphone in your browser"),
        lazy_gettext(
            "Look for a camera icon in the address bar at the top of the browser, and choose "
            "Allow. In Safari, open the Safari menu, choose Settings, then Websites, and allow "
            "Camera and Microphone for the meeting site. Then reload the page."
        ),
    ),
    (
        lazy_gettext("On a Mac"),
        lazy_gettext(
            "Open System Settings, then Privacy & Security. Under Camera and under Microphone, "
            "turn on your browser. Then quit the browser and open it again."
        ),
    ),
    (
        lazy_gettext("On a Windows computer"),
        lazy_gettext(
            "Open Settings, then Privacy. Under Camera and under Microphone, allow apps, and "
            "your browser, to use them. Under Sound, check that the right microphone is chosen "
            "as input."
        ),
    ),
    (
        lazy_gettext("Choose the right camera, microphone and speakers"),
        lazy_gettext(
            "Before you join, open the menus for camera, microphone and speakers, and choose the "
            "ones you want to use. If you use a headset, choose it for both sound and "
            "microphone. In Safari some platforms can't switch speakers: change them in your "
            "Mac's sound settings instead."
        ),
    ),
    (
        lazy_gettext("Close other apps that use the camera"),
        lazy_gettext(
            "Close Teams, Zoom, Skype and other video apps, and browser tabs with video calls, "
            "then reload the page. On Windows, a camera that another app is using often doesn't "
            "work anywhere else."
        ),
    ),
    (
        lazy_gettext("Still not working?"),
        lazy_gettext(
            "Reload the page. Try a private window or another browser. Turn off ad blockers, "
            "privacy add-ons and VPN for a while."
        ),
    ),
    (
        lazy_gettext("Choppy sound or picture"),
        lazy_gettext(
            "Move closer to your wifi router, or use a network cable or your phone's hotspot. "
            "Close apps and tabs you don't need, and turn off background effects. If it is "
            "still choppy, turn off your camera for a while: being heard matters most."
        ),
    ),
    (
        lazy_gettext("On a phone"),
        lazy_gettext(
            "If you said no when the phone asked about the camera or microphone, open the "
            "Settings app, find the app or browser you use for the meeting, and turn on Camera "
            "and Microphone. Then open the meeting link again."
        ),
    ),
)


def get_platform(key: str | None) -> Platform | None:
    """Return the platform called ``key``, or None for an unknown or missing key."""
    if key is None:
        return None
    return PLATFORMS.get(key)


def platform_choices() -> list[tuple[str, str]]:
    """Return ``(key, brand name)`` pairs for a form's select field, in registry order.

    Brand names are not translated, so plain strings are safe to build at import time.
    """
    return [(p.key, p.name) for p in PLATFORMS.values()]
