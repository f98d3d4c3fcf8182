"""A readable page of the API's operations, rendered on the server from the same OpenAPI
document (no viewer from elsewhere, no script)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

docs_bp = Blueprint("api_docs", __name__)

METHODS = ("get", "post", "put", "patch", "delete")


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Each operation: method, path, summary, scope, parameters and body fields."""
    out = []
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [p for p in op.get("parameters", []) + item.get("parameters", [])
                      if "name" in p]
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            out.append({"method": method.upper(), "path": path,
                        "summary": op.get("summary", ""),
                        "description": op.get("description", ""),
                        "params": params, "body": _ref_name(body.get("schema", {})),
                        "responses": sorted(op.get("responses", {}).keys())})
    return out


def _ref_name(schema: dict[str, Any]) -> str:
    return schema.get("$ref", "").rsplit("/", 1)[-1]


@docs_bp.get("/api/v1/docs")
def docs() -> Any:
    """The API's reference, for people: operations, parameters, schemas."""
    from portal.api.keys import SCOPES
    from portal.api.setup import current_api

    spec = current_api().spec.to_dict()
    return render_template("staff/api_docs.html", operations=operations(spec),
                           schemas=spec.get("components", {}).get("schemas", {}),
                           info=spec.get("info", {}), scopes=SCOPES,
                           openapi_version=spec.get("openapi", ""))
