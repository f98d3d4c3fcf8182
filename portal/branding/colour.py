"""Colour arithmetic for brands: WCAG 2 relative luminance and contrast, and the text
colour that reads on a brand's accent."""

from __future__ import annotations

import re

WHITE = "#ffffff"
DARK = "#1d1d1b"  # the portal's own text colour
MIN_CONTRAST = 4.5  # WCAG 2 AA for body text (1.4.3)
_HEX = re.compile(r"^#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")


def normalise_hex(value: str) -> str | None:
    """"#RGB", "RRGGBB" or "#rrggbb" as "#rrggbb"; None when it is no hex colour."""
    match = _HEX.match(value.strip())
    if not match:
        return None
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return f"#{digits}"


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a "#rrggbb" colour (sRGB, 0 for black, 1 for white)."""
    value = colour.lstrip("#")

    def channel(part: str) -> float:
        c = int(part, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(value[i:i + 2]) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two colours, from 1 to 21."""
    la, lb = relative_luminance(a), relative_luminance(b)
    light, dark = max(la, lb), min(la, lb)
    return (light + 0.05) / (dark + 0.05)


def text_on(accent: str) -> str | None:
    """The text colour for buttons on ``accent``: white when it reads well enough, else
    our dark text; None when neither reaches 4.5:1."""
    for text in (WHITE, DARK):
        if contrast_ratio(accent, text) >= MIN_CONTRAST:
            return text
    return None
