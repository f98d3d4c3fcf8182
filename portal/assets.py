"""Static files: fingerprinted URLs cached for a year, and our own JavaScript minified.

``url_for('static', filename=...)`` adds ``?v=<hash of the content>``; a request that carries
the current hash is answered with ``Cache-Control: public, max-age=31536000, immutable``, so a
browser never asks again, and a changed file gets a new URL by itself. Without a hash (or with
an old one) the file is served with the ordinary hour of caching.

Our JavaScript files (not the vendored ``*.min.js``) are minified with rjsmin in memory the
first time they are asked for, and again whenever the file on disk changes: the wheel ships
the readable source and no build step can be forgotten. The hash is that of what is served.

Style sheets, scripts and SVG go out Brotli-compressed at its best level (gzip at 9 for a
browser without Brotli), compressed once per version of a file and kept in memory.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import brotli
import rjsmin
from flask import Flask, Response, request
from flask.sessions import SecureCookieSessionInterface

YEAR = 365 * 24 * 60 * 60
# Text files sent Brotli- (or gzip-) compressed at the best level, made once per version of
# a file: a quarter smaller than compressing each response on the fly (about 3 KB off a
# first load).
PACKED_TYPES = {"text/css", "text/javascript", "application/javascript", "image/svg+xml"}


@dataclass(frozen=True)
class Asset:
    stamp: tuple[int, int]  # (mtime_ns, size) of the file it was read from
    digest: str  # the first 12 hex digits of the SHA-256 of what is served
    body: bytes | None  # the minified JavaScript; None: the file is served as it is


class Assets:
    """The fingerprints of the files in one static folder, kept current with the disk."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self._known: dict[str, Asset] = {}
        self._packed: dict[str, tuple[str, bytes]] = {}  # "br:file": (digest, compressed)

    def get(self, filename: str) -> Asset | None:
        """The asset for ``filename`` (a path inside the folder), or None when there is
        no such file."""
        path = (self.folder / filename).resolve()
        if not path.is_relative_to(self.folder):
            return None
        try:
            info = path.stat()
        except (OSError, ValueError):
            return None
        if not path.is_file():
            return None
        stamp = (info.st_mtime_ns, info.st_size)
        known = self._known.get(filename)
        if known is not None and known.stamp == stamp:
            return known
        data = path.read_bytes()
        body = None
        if filename.endswith(".js") and not filename.endswith(".min.js"):
            body = rjsmin.jsmin(data)
            data = body
        asset = Asset(stamp, hashlib.sha256(data).hexdigest()[:12], body)
        self._known[filename] = asset
        return asset

    def packed(self, filename: str, asset: Asset, encoding: str) -> bytes | None:
        """What is served for ``asset``, compressed at the best level of ``encoding`` ("br"
        or "gzip"; made on the first request for each version), or None for a type that
        gains nothing from it."""
        if mimetypes.guess_type(filename)[0] not in PACKED_TYPES:
            return None
        key = f"{encoding}:{filename}"
        known = self._packed.get(key)
        if known is not None and known[0] == asset.digest:
            return known[1]
        body = asset.body if asset.body is not None else (self.folder / filename).read_bytes()
        data = (brotli.compress(body, quality=11) if encoding == "br"
                else gzip.compress(body, 9, mtime=0))
        self._packed[key] = (asset.digest, data)
        return data

    def warm(self) -> None:
        """Read every file once (at start), so the first pages need no hashing."""
        for path in self.folder.rglob("*"):
            if path.is_file():
                self.get(path.relative_to(self.folder).as_posix())


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that a static file never renews the cookie:
    the page that loads it already did, and each file of a first load would otherwise
    carry the same ~200-byte Set-Cookie again."""

    def should_set_cookie(self, app: Flask, session: Any) -> bool:
        if request.endpoint == "static" and not session.modified:
            return False
        return super().should_set_cookie(app, session)


def init_app(app: Flask) -> None:
    """Fingerprint ``url_for('static', ...)`` and serve fingerprinted files for a year."""
    app.session_interface = SessionInterface()
    assets = Assets(Path(app.static_folder or "static"))
    assets.warm()
    app.extensions["portal_assets"] = assets

    @app.url_defaults
    def _fingerprint(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "v" not in values and "filename" in values:
            asset = assets.get(str(values["filename"]))
            if asset is not None:
                values["v"] = asset.digest

    plain = app.view_functions["static"]

    def static(filename: str) -> Response:
        asset = assets.get(filename)
        encoding = next((e for e in ("br", "gzip") if request.accept_encodings[e] > 0), None)
        packed = None
        if asset is not None and encoding is not None:
            packed = assets.packed(filename, asset, encoding)
        if asset is not None and packed is not None:
            response = Response(packed, mimetype=mimetypes.guess_type(filename)[0])
            response.headers["Content-Encoding"] = encoding  # Flask-Compress leaves it be
            response.vary.add("Accept-Encoding")
            response.set_etag(f"{asset.digest}-{encoding}")
            response.cache_control.public = True
            response.cache_control.max_age = app.get_send_file_max_age(filename)
            response.make_conditional(request)
        elif asset is not None and asset.body is not None:
            kind = mimetypes.guess_type(filename)[0] or "text/javascript"
            response = Response(asset.body, mimetype=kind)
            response.set_etag(asset.digest)
            response.cache_control.public = True
            response.cache_control.max_age = app.get_send_file_max_age(filename)
            response.make_conditional(request)
        else:
            response = plain(filename=filename)
        if asset is not None and request.args.get("v") == asset.digest:
            response.cache_control.public = True
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
        return response

    app.view_functions["static"] = static
