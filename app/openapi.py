"""The error answers of every API route in the OpenAPI document, with the JSON body they carry.

Which codes a route can answer follows from what it is built of, so they are derived, not
listed by hand: every route can answer 413 (body over the limit) and 422 (invalid input, or a
control character anywhere); a route that needs a signed-in user 401, and 403 when it needs a
role or changes something (the cookie session's CSRF check); a route with an id in its path
404. What only a route's own logic can answer is named in `ROUTE_ERRORS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from pydantic import BaseModel

from app.deps import get_caller, get_current_user

DESCRIPTIONS = {
    401: "Not signed in, or the token was revoked or has expired",
    403: "Not allowed for this role, or a cookie session's CSRF token is missing",
    404: "No such resource, or one the caller may not see",
    409: "Conflicts with the current state (an ended session, an id already taken)",
    413: "The request body is over the size limit",
    422: "Invalid input: the detail lists each field and what is wrong",
    429: "Too many failed sign-ins: wait the seconds of Retry-After",
    502: "The language model failed; the rep's text is kept",
    504: "The language model timed out; the rep's text is kept",
}

# Codes only the route's own logic answers, by (method, path).
ROUTE_ERRORS: dict[tuple[str, str], set[int]] = {
    ("POST", "/api/v1/auth/token"): {401, 429},
    ("POST", "/api/v1/auth/password"): {429},
    ("POST", "/api/v1/personas"): {409},
    ("PUT", "/api/v1/personas/{persona_id}"): {409},
    ("POST", "/api/v1/sessions"): {404},
    ("POST", "/api/v1/sessions/{session_id}/turns"): {409, 502, 504},
}
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class ValidationIssue(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """Every 4xx and 5xx answer: a message, or for invalid input the list of problems."""

    detail: str | list[ValidationIssue]


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dep in dependant.dependencies:
        if dep.call is not None:
            yield dep.call
        yield from _calls(dep)


def route_errors(route: RouteContext, method: str, path: str) -> set[int]:
    codes = {413, 422}
    dependant: Dependant = route.dependant
    calls = list(_calls(dependant))
    if get_current_user in calls or get_caller in calls:
        codes.add(401)
        needs_role = any(getattr(c, "__qualname__", "").startswith("require_role") for c in calls)
        if needs_role or method not in SAFE_METHODS:
            codes.add(403)
    if dependant.path_params:
        codes.add(404)
    return codes | ROUTE_ERRORS.get((method, path), set())


def _answer(code: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": DESCRIPTIONS.get(code, "An error"),
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
    }
    if code == 429:
        answer["headers"] = {
            "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}
        }
    return answer


def document_errors(app: FastAPI) -> None:
    """Make `app.openapi()` list each route's error codes with the ErrorBody model."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = build()
        body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.update(body.pop("$defs", {}))
        components["ErrorBody"] = body
        # Routes of included routers are reached through their contexts (prefix and all).
        for route in iter_route_contexts(app.routes):
            if not isinstance(route.original_route, APIRoute) or not route.include_in_schema:
                continue
            path = route.path_format or ""
            for method in route.methods or set():
                operation = schema["paths"].get(path, {}).get(method.lower())
                if operation is None:
                    continue
                responses = operation.setdefault("responses", {})
                for code in sorted(route_errors(route, method, path)):
                    responses[str(code)] = _answer(code)
                for code, answer in responses.items():
                    # Codes a route declares itself (a 503, say) carry the same body.
                    if code.isdigit() and int(code) >= 400 and "content" not in answer:
                        answer["content"] = _answer(int(code))["content"]
        # FastAPI's own validation model is replaced by ErrorBody everywhere.
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
