"""``GET /v1/bundles``, ``/v1/bundles/{bundle}/versions`` and ``/v1/diff``: the policies
the service holds, and what changes between two of their versions.

``/v1/diff?old=&new=`` names loaded bundles only, never paths: ``NAME@VERSION`` for a
version, ``NAME`` for the whole bundle (both operands alike). The answer is the document
of ``chronolex diff --format json``; the semantic diff (a solver) takes time, so a
bounded number of diffs is kept for the bundles as loaded (:mod:`chronolex.service.kept`).
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from chronolex.diff.policy_diff import diff_document
from chronolex.diff.sides import Side
from chronolex.errors import ChronolexError
from chronolex.service.context import Service, service_of
from chronolex.service.problems import Problem, from_error
from chronolex.time.versions import select_version, versions_document


def _summary(service: Service, name: str) -> dict[str, Any]:
    bundle = service.state.bundles[name]
    in_force = select_version(bundle.versions, service.state.clock.now())
    return {
        "bundle": bundle.name, "title": bundle.title, "timezone": bundle.timezone.key,
        "actions": list(bundle.actions), "locales": list(bundle.locales), "default_locale": bundle.default_locale,
        "versions": [v.id for v in bundle.versions], "in_force": in_force.id if in_force else None,
    }


async def bundles_endpoint(request: Request) -> JSONResponse:
    service = service_of(request)
    return JSONResponse({"bundles": [_summary(service, name) for name in sorted(service.state.bundles)]})


async def versions_endpoint(request: Request) -> JSONResponse:
    service = service_of(request)
    return JSONResponse(versions_document(service.bundle(request.path_params["bundle"])))


def _side(service: Service, text: str, field: str) -> Side:
    name, at, version_id = text.partition("@")
    if name not in service.state.bundles:
        # "old=2026.01" is the commonest slip: a version id without its bundle's name.
        owners = sorted(b.name for b in service.state.bundles.values() if not at and b.version(name) is not None)
        hint = f"; {name!r} is a version: write NAME@VERSION, e.g. {owners[0]}@{name}" if owners else ""
        raise Problem(404, "unknown-bundle", f"{field}: no bundle {name!r} is loaded{hint}",
                      extra={"field": field, "bundles": sorted(service.state.bundles)})
    bundle = service.bundle(name)
    if not at:
        return Side(text, bundle)
    version = bundle.version(version_id)
    if version is None:
        raise Problem(404, "unknown-version", f"{field}: {bundle.name} has no version {version_id!r}",
                      extra={"field": field, "versions": [v.id for v in bundle.versions]})
    return Side(text, bundle, version)


async def diff_endpoint(request: Request) -> JSONResponse:
    service = service_of(request)
    query = request.query_params
    unknown = sorted(set(query) - {"old", "new"})
    if unknown:
        raise Problem(422, "unknown-parameter", f"unknown parameter {unknown[0]!r} (parameters: old, new)",
                      extra={"field": unknown[0]})
    for name in ("old", "new"):
        if not query.get(name):
            raise Problem(422, "missing-parameter", f"{name} is required: NAME@VERSION, or NAME for a whole bundle",
                          extra={"field": name})
    old, new = _side(service, query["old"], "old"), _side(service, query["new"], "new")
    if old.is_version != new.is_version:
        raise Problem(422, "bad-operand", "cannot compare one version with a whole bundle: write both as "
                      "NAME@VERSION, or both as NAME")
    try:
        result = await run_in_threadpool(service.state.kept.diff, old, new)
    except ChronolexError as error:
        raise from_error(error) from None
    return JSONResponse(diff_document([result]))


ROUTES = [
    Route("/v1/bundles", bundles_endpoint, methods=["GET"], name="bundles"),
    Route("/v1/bundles/{bundle}/versions", versions_endpoint, methods=["GET"], name="versions"),
    Route("/v1/diff", diff_endpoint, methods=["GET"], name="diff"),
]
