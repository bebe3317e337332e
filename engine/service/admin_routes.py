"""``POST /v1/admin/reload``: reload every bundle now, changed or not (a platform token).

200 with what happened to each bundle when all were loaded; 422 (a problem document
listing the same) when one was refused, so a deployment script sees it failed. The
refused bundle's old version keeps serving.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from chronolex.service.problems import Problem
from chronolex.service.reload import BundleWatcher


async def reload_endpoint(request: Request) -> JSONResponse:
    watcher: BundleWatcher = request.app.state.watcher
    outcomes = await run_in_threadpool(watcher.reload_all)
    report = [outcome.to_json() for outcome in outcomes]
    refused = [o for o in outcomes if o.result == "refused"]
    if refused:
        raise Problem(422, "bundle-refused", f"bundle {refused[0].bundle} was refused, its loaded version keeps "
                      f"serving: {refused[0].error}", extra={"reloads": report})
    return JSONResponse({"reloads": report})


ROUTES = [Route("/v1/admin/reload", reload_endpoint, methods=["POST"], name="reload")]
