"""Translations for templates, looked up once per request instead of once per string.

Flask-Babel finds the request's catalog again for every ``_()`` in a template; on a page
with thirty strings that was a third of the rendering time. Templates here read the
catalog from ``g`` instead. ``force_locale`` (emails in the reader's language) must be
this module's, so the cached catalog is dropped and restored around it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import flask_babel
from flask import Flask, g

_KEY = "_portal_translations"


def _translations() -> Any:
    translations = g.get(_KEY)
    if translations is None:
        translations = flask_babel.get_translations()
        setattr(g, _KEY, translations)
    return translations


@contextmanager
def force_locale(lang: str) -> Iterator[None]:
    """Render in ``lang`` for a while (an email to someone else), then go back."""
    saved = g.pop(_KEY, None)
    try:
        with flask_babel.force_locale(lang):
            yield
    finally:
        g.pop(_KEY, None)
        if saved is not None:
            setattr(g, _KEY, saved)


def init_app(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda message: _translations().ugettext(message),
        lambda singular, plural, n: _translations().ungettext(singular, plural, n),
        newstyle=True,
    )


def stored_words(words: dict[str, Any], text: str) -> str:
    """Words the portal stores in English (default stage names, default reasons) in the
    reader's language; anything a person typed is shown as typed."""
    word = words.get(text)
    return str(word) if word is not None else text
