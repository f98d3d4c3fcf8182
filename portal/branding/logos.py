"""Logo files: what an admin uploads is never served as it came.

PNG and JPEG are decoded and encoded again by Pillow: the new file carries no metadata
(EXIF, comments, colour profiles) and fits in ``MAX_BOX``. SVG is parsed with defusedxml (no
DTDs, entities or external references) and rebuilt from an allowlist of drawing elements
and presentation attributes: no script, foreignObject, event handler, link, embedded image,
animation, or reference to anything outside the file. No SVG sanitiser on PyPI is both
well kept and small enough to trust here, so this is ours, and short on purpose.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
import xml.etree.ElementTree as ET  # noqa: S405  (only to write our own tree; parsing is defusedxml's)
from dataclasses import dataclass

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.errors import DomainError

MAX_BYTES = 1024 * 1024
MAX_BOX = (600, 200)  # a header logo never needs more; the page shows it at most 48 px high
MAX_PIXELS = 25_000_000  # refuse before decoding: a small file can claim a huge canvas

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"

# Drawing and structure only: nothing that runs, links, embeds or animates.
SVG_ELEMENTS = frozenset({
    "svg", "g", "defs", "title", "desc", "symbol", "use", "path", "rect", "circle", "ellipse",
    "line", "polyline", "polygon", "text", "tspan", "linearGradient", "radialGradient", "stop",
    "clipPath", "mask", "style",
})
SVG_ATTRIBUTES = frozenset({
    "id", "class", "style", "viewBox", "preserveAspectRatio", "version", "width", "height",
    "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry", "fx", "fy", "dx", "dy",
    "d", "points", "transform", "pathLength",
    "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-linecap",
    "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset",
    "stroke-opacity", "opacity", "color", "display", "visibility",
    "offset", "stop-color", "stop-opacity", "gradientUnits", "gradientTransform",
    "spreadMethod", "clip-path", "clip-rule", "clipPathUnits", "mask", "maskUnits",
    "maskContentUnits", "font-family", "font-size", "font-weight", "font-style",
    "text-anchor", "dominant-baseline", "letter-spacing", "word-spacing", "role",
    "aria-label", "aria-hidden", "focusable",
})
HREF_ELEMENTS = frozenset({"use", "linearGradient", "radialGradient"})
# url(...) may point only inside the file.
_URL = re.compile(r"url\s*\(\s*(['\"]?)(.*?)\1\s*\)", re.IGNORECASE | re.DOTALL)
_BAD_CSS = re.compile(r"@import|expression|javascript:|\\|<|behavior|-moz-binding",
                      re.IGNORECASE)
_DRAWN = frozenset({"path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text",
                    "use"})


@dataclass(frozen=True)
class Logo:
    data: bytes
    content_type: str
    digest: str


def _refuse(message: object) -> DomainError:
    return DomainError(message, field="logo")


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def clean_logo(data: bytes, filename: str = "") -> Logo:
    """The file an admin uploaded, made safe to serve; raises DomainError (field "logo")
    with a message for them when it is too large, not an image, or not one we take."""
    if not data:
        raise _refuse(_l("The file is empty. Choose a PNG, JPEG or SVG file."))
    if len(data) > MAX_BYTES:
        raise _refuse(_l("The logo is larger than 1 MB. Save it smaller and try again."))
    head = data[:512].lstrip().lower()
    if filename.lower().endswith(".svg") or head.startswith((b"<?xml", b"<svg", b"<!--")):
        cleaned = clean_svg(data)
        return Logo(cleaned, "image/svg+xml", fingerprint(cleaned))
    cleaned, content_type = clean_raster(data)
    return Logo(cleaned, content_type, fingerprint(cleaned))


# ---------------------------------------------------------------- PNG and JPEG

def clean_raster(data: bytes) -> tuple[bytes, str]:
    """Decode a PNG or JPEG and encode it afresh: turned upright, scaled to fit
    ``MAX_BOX``, no metadata. Returns (bytes, content type)."""
    not_image = _refuse(_l("That file is not a PNG, JPEG or SVG image we can read."))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                kind = probe.format
                if kind not in ("PNG", "JPEG"):
                    raise not_image
                if probe.width * probe.height > MAX_PIXELS:
                    raise _refuse(_l("The image is too large in pixels. Use one at most "
                                     "2000 pixels wide."))
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
    except DomainError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise not_image from exc
    if kind == "JPEG":
        upright = upright.convert("RGB")
    elif upright.mode not in ("RGB", "RGBA", "L", "LA"):
        upright = upright.convert("RGBA")
    upright.thumbnail(MAX_BOX, Image.Resampling.LANCZOS)
    # A new image from the pixels alone: nothing of the file's info dict comes along.
    bare = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    out = io.BytesIO()
    if kind == "JPEG":
        bare.save(out, "JPEG", quality=88, optimize=True)
        return out.getvalue(), "image/jpeg"
    bare.save(out, "PNG", optimize=True)
    return out.getvalue(), "image/png"


# ---------------------------------------------------------------- SVG

def _local(name: str) -> tuple[str, str]:
    """(namespace, local name) of an ElementTree tag or attribute name."""
    if name.startswith("{"):
        ns, _sep, local = name[1:].partition("}")
        return ns, local
    return "", name


def _safe_css(value: str) -> bool:
    """A style text with nothing that loads, runs or escapes: url() only to '#...'."""
    if _BAD_CSS.search(value):
        return False
    return all(target.strip().startswith("#") for _q, target in _URL.findall(value))


def _copy(source: ET.Element, parent: ET.Element | None) -> ET.Element | None:
    ns, local = _local(source.tag)
    if ns != SVG_NS or local not in SVG_ELEMENTS:
        return None  # dropped with everything inside it
    element = ET.Element(source.tag) if parent is None else ET.SubElement(parent, source.tag)
    for name, value in source.attrib.items():
        attr_ns, attr = _local(name)
        if attr == "href" and attr_ns in ("", XLINK_NS):
            if local in HREF_ELEMENTS and value.strip().startswith("#"):
                element.set(f"{{{XLINK_NS}}}href", value.strip())
            continue
        if attr_ns == XML_NS and attr == "space":
            element.set(name, value)
            continue
        if attr_ns or attr not in SVG_ATTRIBUTES or not _safe_css(value):
            continue
        element.set(attr, value)
    if local == "style":
        css = source.text or ""
        if not _safe_css(css) or len(source):
            parent.remove(element)  # type: ignore[union-attr]
            return None
        element.text = css
        return element
    if local in ("title", "desc", "text", "tspan"):
        element.text = source.text
    for child in source:
        kept = _copy(child, element)
        if kept is not None and local in ("text", "tspan"):
            kept.tail = child.tail
    return element


def clean_svg(data: bytes) -> bytes:
    """The SVG rebuilt from the allowlist, as UTF-8 bytes; DomainError when it does not
    parse, is not an SVG, or nothing drawable is left."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True,
                                 forbid_external=True)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise _refuse(_l("That SVG file could not be read. Export it again as plain SVG "
                         "and try once more.")) from exc
    if root.tag != f"{{{SVG_NS}}}svg":
        raise _refuse(_l("That file is not an SVG image. Choose a PNG, JPEG or SVG file."))
    clean = _copy(root, None)
    if clean is None or not any(_local(e.tag)[1] in _DRAWN for e in clean.iter()):
        raise _refuse(_l("Nothing in that SVG file can be shown. Export it again as plain "
                         "SVG and try once more."))
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    return ET.tostring(clean, encoding="utf-8", xml_declaration=False)
