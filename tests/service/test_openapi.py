"""/openapi.json describes every route of the service, and only those, with schemas that
are the project's own (valid draft 2020-12) and references that resolve."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
from starlette.routing import Route
from starlette.testclient import TestClient

from chronolex.service.auth import scope_of
from chronolex.service.openapi import OPERATIONS


def _resolve(document: dict[str, Any], pointer: str) -> Any:
    node: Any = document
    for part in pointer.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/") else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def test_every_route_is_described_and_every_description_is_a_route(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    described = {(method.upper(), path) for path, methods in document["paths"].items() for method in methods}
    routes = {(method, route.path) for route in client.app.routes  # type: ignore[attr-defined]
              if isinstance(route, Route) and route.path.startswith(("/v1", "/healthz", "/readyz", "/metrics",
                                                                     "/openapi"))
              for method in (route.methods or ()) if method != "HEAD"}
    assert described == routes


def test_the_schemas_are_valid_and_the_references_resolve(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    for schema in document["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)
    for path in document["paths"].values():
        for ref in _refs(path):
            assert _resolve(document, ref) is not None, ref


def test_the_tokens_described_are_the_tokens_required() -> None:
    for operation in OPERATIONS:
        path = re.sub(r"\{[^}]+\}", "x", operation.path)
        assert scope_of(operation.method.upper(), path) is operation.scope, operation.path
