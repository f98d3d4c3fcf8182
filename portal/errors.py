"""Domain errors raised by services and turned into responses by views."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain was broken; ``message`` is safe to show (a lazy string)."""

    def __init__(self, message: object, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The object does not exist, or the actor may not know that it does."""


class Forbidden(DomainError):
    """The actor is known but may not do this."""
