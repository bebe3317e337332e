"""The ASGI application of ``chronolex serve``: routes, middleware, problems, reloads.

:func:`create_app` assembles one Starlette application over a :class:`ServiceState`:
the API routes (one module each), the console's routes, the token guard, timing and
the catch-all that never lets a traceback reach a client, and, when asked, the task
that polls the bundles' files. Nothing here reads a clock or the environment: the
state carries the clock, the caller passes the tokens and limits.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from chronolex.service import (
    account_routes,
    admin_routes,
    bundle_routes,
    decide_routes,
    event_routes,
    health_routes,
)
from chronolex.service.auth import TokenGuard
from chronolex.service.console import console_routes
from chronolex.service.context import Service
from chronolex.service.group_commit import GroupCommit
from chronolex.service.limits import ServiceLimits
from chronolex.service.metrics import ServiceMetrics
from chronolex.service.observe import Observe
from chronolex.service.openapi import openapi_document
from chronolex.service.problems import Problem
from chronolex.service.reload import BundleWatcher, Checker, full_check
from chronolex.service.state import ServiceState
from chronolex.service.stores import ThreadStores
from chronolex.service.tokens import Tokens

logger = logging.getLogger("chronolex.service")

#: The package version the OpenAPI document names (kept in step with ``chronolex.__version__``).
API_VERSION = "0.1.0"


async def _problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Problem)
    return exc.response(request.url.path)


async def _http_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
    detail = exc.detail if exc.status_code not in (404, 405) else (
        f"no route {request.url.path}" if exc.status_code == 404 else
        f"{request.method} is not allowed on {request.url.path}")
    return Problem(exc.status_code, code, str(detail), headers=exc.headers).response(request.url.path)


async def _openapi(request: Request) -> JSONResponse:
    return JSONResponse(openapi_document(API_VERSION))


def create_app(state: ServiceState, *, tokens: Tokens | None = None, limits: ServiceLimits | None = None,
               reload_interval: float | None = None, check: Checker = full_check,
               shared_metrics: Path | None = None) -> Starlette:
    """The application over ``state``.

    ``tokens``: who may call what (none: every route is open; ``chronolex serve`` allows
    that only on a loopback address or with ``--insecure``). ``limits``: body and batch
    bounds. ``reload_interval``: poll the bundles' files every so many seconds (None:
    only ``POST /v1/admin/reload`` reloads). ``check``: how a changed bundle is checked
    before it replaces the loaded one (default: everything ``validate`` checks).
    ``shared_metrics``: the directory where the workers of one service add up their
    metrics (several worker processes; see :class:`ServiceMetrics`).
    """
    metrics = ServiceMetrics(shared_metrics)
    stores = ThreadStores(state.store.path) if state.store is not None else None
    appender = GroupCommit(state.log) if state.log is not None else None
    service = Service(state, limits or ServiceLimits(), tokens or Tokens(), metrics, stores, appender)
    watcher = BundleWatcher(state, metrics, check=check)
    if state.log is not None:
        log = state.log
        metrics.watch_log_size(lambda: float(log.size_bytes()))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tasks:
            if reload_interval:
                tasks.start_soon(_poll, watcher, reload_interval)
            service.ready = True
            try:
                yield
            finally:
                service.ready = False
                tasks.cancel_scope.cancel()
        if stores is not None:
            stores.close()

    routes: list[BaseRoute] = [
        *decide_routes.ROUTES, *event_routes.ROUTES, *account_routes.ROUTES, *bundle_routes.ROUTES,
        *admin_routes.ROUTES, *health_routes.ROUTES,
        Route("/openapi.json", _openapi, methods=["GET"], name="openapi"),
        *console_routes(state, stores),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(Observe, clock=state.clock, metrics=metrics),
                    Middleware(TokenGuard, tokens=service.tokens)],
        exception_handlers={Problem: _problem, HTTPException: _http_problem},
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.watcher = watcher
    return app


async def _poll(watcher: BundleWatcher, interval: float) -> None:
    """Poll the bundles' files every ``interval`` seconds for as long as the app runs."""
    while True:
        await anyio.sleep(interval)
        try:
            await run_in_threadpool(watcher.poll)
        except Exception:  # noqa: BLE001 - a failed poll is logged; the next one tries again
            logger.exception("polling the bundles' files failed")
