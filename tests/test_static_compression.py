"""Static text files go out compressed at the best level (Brotli, or gzip for a browser
without it), the same bytes as the file on disk once unpacked, answer a repeat with 304,
and never renew the session cookie; a page still does."""

from __future__ import annotations

import gzip
import re

import brotli
import pytest

from portal.links.services import issue_link
from tests.factories import CandidateFactory, UserFactory, make_application

BROWSER = "gzip, deflate, br, zstd"


def _static_paths(client) -> list[str]:
    page = client.get("/jobs/privacy")
    assert page.status_code == 200
    found = re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)
    assert any(".css" in p for p in found) and any(".js" in p for p in found)
    return found


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_text_files_are_compressed_once_at_the_best_level(app, client, encoding):
    unpack = brotli.decompress if encoding == "br" else gzip.decompress
    for path in _static_paths(client):
        file = path.split("?", 1)[0].removeprefix("/static/")
        response = client.get(path, headers={"Accept-Encoding": encoding})
        assert response.status_code == 200
        if file.endswith((".css", ".js", ".svg")) and len(response.data) > 300:
            assert response.headers["Content-Encoding"] == encoding, path
            assert "Accept-Encoding" in response.headers["Vary"]
            assert "immutable" in response.headers["Cache-Control"]
            plain = client.get(path, headers={"Accept-Encoding": "identity"})
            assert "Content-Encoding" not in plain.headers
            assert unpack(response.data) == plain.data
            assert len(response.data) < len(plain.data) * 0.5
            again = client.get(path, headers={"Accept-Encoding": encoding,
                                              "If-None-Match": response.headers["ETag"]})
            assert again.status_code == 304


def test_brotli_at_its_best_beats_compressing_on_the_fly(client):
    css = next(p for p in _static_paths(client) if "portal.css" in p)
    plain = client.get(css, headers={"Accept-Encoding": "identity"}).data
    sent = client.get(css, headers={"Accept-Encoding": BROWSER})
    assert sent.headers["Content-Encoding"] == "br"
    assert len(sent.data) < len(brotli.compress(plain, quality=5))


def test_static_files_leave_the_session_cookie_alone(app, client, ctx, settings):
    recruiter = UserFactory(role="recruiter")
    application = make_application(recruiter, CandidateFactory(language="sv"))
    _link, token = issue_link(ctx, settings, application.candidate)
    ctx.commit()
    assert client.get(f"/c/{token}").status_code == 303
    page = client.get("/portal/")
    assert page.status_code == 200
    assert "portal_session=" in page.headers.get("Set-Cookie", "")  # a page renews it
    for path in re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text):
        response = client.get(path, headers={"Accept-Encoding": BROWSER})
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers, path
