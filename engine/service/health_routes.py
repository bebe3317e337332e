"""``GET /healthz``, ``/readyz`` and ``/metrics``: is the process up, may it take
traffic, and what has it done.

``/healthz`` answers 200 while the process serves requests at all. ``/readyz`` answers
200 when the application has started, every bundle is loaded, and the store and the log
(when there are any) answer; 503 otherwise (starting, stopping, a store that cannot be
read). It lists each bundle's versions, the one in force, and why its last reload was
refused, if it was (the old bundle keeps serving, so that alone does not make it unready).
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chronolex.service.context import Service, service_of
from chronolex.service.metrics import CONTENT_TYPE
from chronolex.time.versions import select_version


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


def _readiness(service: Service) -> tuple[bool, dict[str, Any]]:
    state = service.state
    now = state.clock.now()
    bundles = {}
    for name in sorted(state.sources):
        bundle = state.bundles.get(name)
        in_force = select_version(bundle.versions, now) if bundle is not None else None
        bundles[name] = {
            "loaded": bundle is not None,
            "versions": [v.id for v in bundle.versions] if bundle is not None else [],
            "in_force": in_force.id if in_force is not None else None,
            "reload_error": state.reload_errors.get(name),
        }
    problems = [] if service.ready else ["the service is starting or stopping"]
    problems += [f"bundle {name} is not loaded" for name, b in bundles.items() if not b["loaded"]]
    store: dict[str, Any] | None = None
    if service.stores is not None:
        try:
            store = {"events": service.stores.get().count()}
        except Exception as error:  # noqa: BLE001 - any failure means not ready; the reason is shown
            problems.append(f"the event store cannot be read: {error}")
    log: dict[str, Any] | None = None
    if state.log is not None:
        try:
            log = {"records": state.log.count(), "size_bytes": state.log.size_bytes()}
        except Exception as error:  # noqa: BLE001
            problems.append(f"the decision log cannot be read: {error}")
    document = {"ready": not problems, "problems": problems, "bundles": bundles, "store": store, "log": log}
    return not problems, document


async def readyz(request: Request) -> JSONResponse:
    ready, document = await run_in_threadpool(_readiness, service_of(request))
    return JSONResponse(document, status_code=200 if ready else 503)


async def metrics(request: Request) -> Response:
    service = service_of(request)
    return Response(await run_in_threadpool(service.metrics.render), media_type=CONTENT_TYPE)


ROUTES = [
    Route("/healthz", healthz, methods=["GET"], name="healthz"),
    Route("/readyz", readyz, methods=["GET"], name="readyz"),
    Route("/metrics", metrics, methods=["GET"], name="metrics"),
]
