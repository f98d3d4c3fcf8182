"""The second step before an action that cannot be undone (cancel an interview, leave the
talent pool, withdraw consent for a referee, send a reference request again).

One pattern for every face: ``GET`` on the action's address shows what will happen, with a
confirm button and a way back; a ``POST`` without ``confirm=y`` shows the same thing (422)
and changes nothing. The trigger is a real link to that page (it works without JavaScript);
with htmx it asks only for the panel (``_confirm.html``) and shows it in place, chosen by
``HX-Target`` (the panel's slot id). Never a browser ``confirm()``, never an inline script.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import make_response, render_template

from portal.web import is_htmx_target


@dataclass(frozen=True)
class Confirmation:
    """What the confirm step shows. ``slot`` is the id of the element the htmx trigger
    fills (unique on its page); ``hidden`` are the action's own fields, sent again with
    ``confirm=y`` when the person confirms."""

    slot: str
    title: str
    consequences: list[str]
    action: str
    button: str
    back: str
    hidden: Mapping[str, str] = field(default_factory=dict)
    danger: bool = True


def confirmed(form: Mapping[str, Any]) -> bool:
    """Did this POST come from the confirm step?"""
    return form.get("confirm") == "y"


def ask(page: str, confirmation: Confirmation, status: int = 200, **context: Any) -> Any:
    """The confirm step: the whole ``page`` (which includes ``_confirm.html``), or just
    the panel when htmx asks for its slot."""
    if is_htmx_target(confirmation.slot):
        body = render_template("_confirm.html", confirm=confirmation)
    else:
        body = render_template(page, confirm=confirmation, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    response.vary.add("HX-Target")
    return response
