"""``GET /openapi.json``: the OpenAPI 3.1 description of the service, assembled from the
project's JSON Schemas (``schemas/``) rather than restated.

OpenAPI 3.1 takes JSON Schema draft 2020-12 as it is, so each schema file goes into
``components/schemas`` whole (with its ``$id``, so its own ``$ref`` s resolve inside
it), and operations point into it. The operations are listed once, in :data:`OPERATIONS`,
with the kind of token each needs; a test checks that every route of the application
is described and every description is a route.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from chronolex.bundle.schemas import schema
from chronolex.service.tokens import Scope

#: The component name of each schema file.
COMPONENTS = {"Decision": "decision", "Timeline": "timeline", "Diff": "diff", "Event": "event",
              "Service": "service"}


def _ref(component: str, definition: str | None = None) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{component}" + (f"/$defs/{definition}" if definition else "")}


def _param(name: str, where: str, description: str, *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required or where == "path", "description": description,
            "schema": {"type": "string"}}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    summary: str
    scope: Scope
    responses: dict[int, tuple[str, dict[str, Any] | None]]
    parameters: tuple[dict[str, Any], ...] = ()
    body: dict[str, Any] | None = None
    problems: tuple[int, ...] = field(default=(400, 422))
    media_type: str = "application/json"


_LANG = _param("lang", "query", "The customer's language for summary and texts, e.g. en or zh-CN.")
_BUNDLE = _param("bundle", "query", "The bundle, when the service holds several.")
_ACCOUNT = _param("account", "path", "The account's id.")
_UNKNOWN = _param("allow_unknown_account", "query", "true: decide an account without events on an empty history "
                                                    "(else 404).")
_KNOWN = _param("as_known_at", "query", "Answer with only the events recorded by this instant.")
_ACTION = _param("action", "query", "One action (default: every action of the bundle).")

OPERATIONS: tuple[Operation, ...] = (
    Operation("post", "/v1/decide", "decide", "Decide one request, or a batch (a list, or {requests: [...]}); "
              "each decision is in the decision log before the answer is sent.", Scope.PLATFORM,
              {200: ("The decision (with decision_id), or {decisions: [...]} for a batch.",
                     {"oneOf": [_ref("Decision"), _ref("Service", "decisions")]})},
              (_LANG,), {"oneOf": [_ref("Service", "decideRequest"), _ref("Service", "decideBatch")]},
              (400, 404, 409, 413, 415, 422, 503)),
    Operation("post", "/v1/events", "appendEvents", "Append events to the store, checked as `chronolex ingest` "
              "checks them, in one transaction.", Scope.PLATFORM,
              {200: ("What was appended.", _ref("Service", "appended"))}, (_BUNDLE,), _ref("Service", "events"),
              (400, 404, 409, 413, 415, 422)),
    Operation("get", "/v1/accounts/{account}/why", "why", "Why the account is (or is not) blocked at an instant "
              "(`chronolex why --format json`).", Scope.READ,
              {200: ("One decision with `action`, else one per action.",
                     {"oneOf": [_ref("Decision"), {"type": "array", "items": _ref("Decision")}]})},
              (_ACCOUNT, _param("at", "query", "The instant (default: the server's clock)."), _ACTION, _KNOWN,
               _LANG, _BUNDLE, _UNKNOWN), None, (404, 409, 422)),
    Operation("get", "/v1/accounts/{account}/timeline", "timeline", "The account's decisions over [from, to) "
              "(`chronolex timeline --format json`).", Scope.READ,
              {200: ("The intervals by action.", _ref("Timeline"))},
              (_ACCOUNT, _param("from", "query", "Start of the range.", required=True),
               _param("to", "query", "End of the range (exclusive).", required=True), _ACTION, _KNOWN, _BUNDLE,
               _UNKNOWN, _param("allow_partial", "query", "true: return the part computed when the walk stops.")),
              None, (404, 409, 422)),
    Operation("get", "/v1/bundles", "bundles", "The bundles the service holds.", Scope.READ,
              {200: ("The bundles.", _ref("Service", "bundles"))}, problems=()),
    Operation("get", "/v1/bundles/{bundle}/versions", "versions", "A bundle's versions in time "
              "(`chronolex versions --format json`).", Scope.READ,
              {200: ("The versions.", _ref("Service", "versions"))},
              (_param("bundle", "path", "The bundle's name."),), problems=(404,)),
    Operation("get", "/v1/diff", "diff", "What changes between two versions (NAME@VERSION) or two bundles (NAME) "
              "(`chronolex diff --format json`).", Scope.READ,
              {200: ("The diff report.", _ref("Diff"))},
              (_param("old", "query", "NAME@VERSION or NAME.", required=True),
               _param("new", "query", "NAME@VERSION or NAME.", required=True)), problems=(404, 422)),
    Operation("post", "/v1/admin/reload", "reload", "Reload every bundle now; a bundle with errors is refused "
              "and the loaded one keeps serving.", Scope.PLATFORM,
              {200: ("What happened to each bundle.", _ref("Service", "reloads"))}, problems=(422,)),
    Operation("get", "/healthz", "healthz", "The process answers.", Scope.OPEN,
              {200: ("Alive.", _ref("Service", "health"))}, problems=()),
    Operation("get", "/readyz", "readyz", "Ready for traffic: bundles loaded, store and log answering; the "
              "bundles' versions and reload errors.", Scope.OPEN,
              {200: ("Ready.", _ref("Service", "ready")), 503: ("Not ready (the document says why).",
                                                                _ref("Service", "ready"))}, problems=()),
    Operation("get", "/metrics", "metrics", "Prometheus metrics (text format).", Scope.READ,
              {200: ("The metrics.", None)}, problems=(), media_type="text/plain"),
    Operation("get", "/openapi.json", "openapi", "This document.", Scope.OPEN,
              {200: ("The OpenAPI document.", {"type": "object"})}, problems=()),
)


def _operation(op: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, (description, body) in op.responses.items():
        response: dict[str, Any] = {"description": description}
        if body is not None:
            response["content"] = {op.media_type: {"schema": body}}
        elif op.media_type != "application/json":
            response["content"] = {op.media_type: {"schema": {"type": "string"}}}
        responses[str(status)] = response
    statuses = set(op.problems)
    if op.scope is not Scope.OPEN:
        statuses |= {401, 403}
    statuses.add(500)
    for status in sorted(statuses):
        responses[str(status)] = {"$ref": f"#/components/responses/Problem{status}"}
    document: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary, "responses": responses,
                                "tags": [op.scope.value]}
    if op.parameters:
        document["parameters"] = list(op.parameters)
    if op.body is not None:
        document["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
    if op.scope is Scope.OPEN:
        document["security"] = []
    else:
        document["security"] = [{"bearer": []}]
        document["description"] = f"Needs a {op.scope.value} token when the service has tokens."
    return document


_PROBLEMS = {400: "The body is not JSON.", 401: "No token, or an unknown one.", 403: "A token of the other kind.",
             404: "No such account, bundle or version.", 409: "The service has no event store, or it cannot be "
             "written.", 413: "The body or the batch is over its limit.", 415: "The body is not sent as JSON.",
             422: "A field or parameter is invalid (the problem names it).", 500: "The service failed (logged).",
             503: "The decision log cannot be written: no decision is answered."}


@cache
def openapi_document(version: str) -> dict[str, Any]:
    """The OpenAPI document of the service (the same for every application)."""
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op)
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": "chronolex decision service", "version": version,
                 "description": "Decisions, explanations and timelines of accounts under versioned policy bundles, "
                                "with every decision kept in a hash-chained log (docs/serve.md)."},
        "paths": paths,
        "components": {
            "schemas": {name: schema(file) for name, file in COMPONENTS.items()},
            "responses": {f"Problem{status}": {"description": text, "content": {
                "application/problem+json": {"schema": _ref("Service", "problem")}}}
                for status, text in _PROBLEMS.items()},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "A platform token or a read token (docs/serve.md)."}},
        },
    }
