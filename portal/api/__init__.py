"""The REST API under /api/v1 for an employer's other systems (bearer keys, OpenAPI)."""

from portal.api.setup import init_app

__all__ = ["init_app"]
