"""``GET /v1/bundles``, ``/v1/bundles/{bundle}/versions`` and ``/v1/diff``: the policies
the service holds, and what changes between two of their versions.

``/v1/diff?old=&new=`` names loaded bundles only, never paths: ``NAME@VERSION`` for a
version, ``NAME`` for the whole bundle (both operands alike). The answer is the document
of ``chronolex diff --format json``; the semantic diff (a solver) takes time, so a
bounded number of answers is kept for the bundles as loaded.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from chronolex.diff.policy_diff import diff_document, diff_sides
from chronolex.diff.sides import Side
from chronolex.errors import ChronolexError
from chronolex.service.context import Service, service_of
from chronolex.service.problems import Problem, from_error
from chronolex.time.versions import select_version, versions_document

#: How many diff answers are kept (per application).
DIFF_CACHE = 32
#: The solver's time for one query of a diff, in milliseconds (as ``diff --timeout-ms``).
DIFF_TIMEOUT_MS = 5000


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
    bundle = service.bundle(name)
    if not at:
        return Side(text, bundle)
    version = bundle.version(version_id)
    if version is None:
        raise Problem(404, "unknown-version", f"{field}: {bundle.name} has no version {version_id!r}",
                      extra={"field": field, "versions": [v.id for v in bundle.versions]})
    return Side(text, bundle, version)


class DiffCache:
    """The last diff answers, by operands and the bundle objects they were computed on
    (a reload makes new bundle objects, so an old answer is never returned for them)."""

    def __init__(self, size: int = DIFF_CACHE) -> None:
        self._size = size
        #: Each answer keeps its bundles alive, so their ids in the key are not reused.
        self._answers: OrderedDict[tuple[object, ...], tuple[dict[str, Any], Side, Side]] = OrderedDict()
        self._lock = threading.Lock()

    def answer(self, old: Side, new: Side) -> dict[str, Any]:
        key = (old.label, new.label, id(old.bundle), id(new.bundle))
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key][0]
        try:
            document = diff_document([diff_sides(old, new, timeout_ms=DIFF_TIMEOUT_MS)])
        except ChronolexError as error:
            raise from_error(error) from None
        with self._lock:
            self._answers[key] = (document, old, new)
            while len(self._answers) > self._size:
                self._answers.popitem(last=False)
        return document


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
    cache: DiffCache = request.app.state.diff_cache
    return JSONResponse(await run_in_threadpool(cache.answer, old, new))


ROUTES = [
    Route("/v1/bundles", bundles_endpoint, methods=["GET"], name="bundles"),
    Route("/v1/bundles/{bundle}/versions", versions_endpoint, methods=["GET"], name="versions"),
    Route("/v1/diff", diff_endpoint, methods=["GET"], name="diff"),
]
