"""The OpenAPI document lists each route's error codes with the JSON error model."""

from __future__ import annotations

import httpx

from app.openapi import ROUTE_ERRORS


async def test_each_route_lists_its_error_codes(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    def codes(method: str, path: str) -> set[str]:
        return set(paths[path][method]["responses"])

    assert {"401", "403", "404", "409", "413", "422", "502", "504"} <= codes(
        "post", "/api/v1/sessions/{session_id}/turns"
    )
    assert {"401", "413", "422", "429"} <= codes("post", "/api/v1/auth/token")
    assert "404" in codes("get", "/api/v1/sessions/{session_id}/export")
    assert "403" in codes("get", "/api/v1/review/team")  # trainers only
    assert "403" not in codes("get", "/api/v1/sessions")  # any signed-in user may list
    assert "401" not in codes("get", "/healthz")
    assert "409" in codes("post", "/api/v1/personas")


async def test_every_error_answer_uses_the_detail_model(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()
    body = schema["components"]["schemas"]["ErrorBody"]
    assert body["required"] == ["detail"]
    errors = [
        (path, method, code, answer)
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
        for code, answer in op["responses"].items()
        if int(code) >= 400
    ]
    assert len(errors) > 60
    for path, method, code, answer in errors:
        ref = answer["content"]["application/json"]["schema"]["$ref"]
        assert ref == "#/components/schemas/ErrorBody", (path, method, code)
    throttled = schema["paths"]["/api/v1/auth/token"]["post"]["responses"]["429"]
    assert "Retry-After" in throttled["headers"]


async def test_the_route_specific_codes_name_real_operations(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for method, path in ROUTE_ERRORS:
        assert method.lower() in paths.get(path, {}), (method, path)


async def test_a_real_422_matches_the_documented_model(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v1/auth/token", data={})
    assert r.status_code == 422
    issue = r.json()["detail"][0]
    assert set(issue) == {"loc", "msg", "type"}
