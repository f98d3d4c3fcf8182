"""Building blocks for the pool's tests: a real PDF with Swedish text, a candidate in
the pool signed in to the portal."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF

from portal.links.services import issue_link
from tests.conftest import csrf_from


def pdf_with(text: str) -> bytes:
    """A real one-page PDF (Helvetica covers å, ä and ö)."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def sign_in(client: Any, ctx: Any, settings: Any, candidate: Any) -> None:
    _link, token = issue_link(ctx, settings, candidate)
    ctx.commit()
    assert client.get(f"/c/{token}").status_code == 303


def join_pool(client: Any, roles: str = "Backend") -> str:
    page = client.get("/portal/privacy")
    token = csrf_from(page.text)
    done = client.post("/portal/privacy", data={"csrf_token": token, "action": "join",
                                                "agree": "y", "roles": roles})
    assert done.status_code == 303
    return token


def fill_profile(client: Any, token: str, **fields: str) -> Any:
    data = {"csrf_token": token, "summary": "", "skills": "", "location": "", "remote": "",
            "languages": "", "roles": "", **fields}
    return client.post("/portal/profile", data=data)


def upload(client: Any, token: str, content: bytes, name: str = "cv.pdf") -> Any:
    """A multipart body built up front (the test client would spool a large one to a
    temporary file it never closes)."""
    boundary = "----portal-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
            f"{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"cv\"; "
            f"filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n").encode()
    body += content + f"\r\n--{boundary}--\r\n".encode()
    return client.post("/portal/profile/cv", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")
