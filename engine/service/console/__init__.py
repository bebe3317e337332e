"""The support console: read-only pages at ``/`` for a support agent with no technical training.

Search an account, pick an instant and an action, and read the answer the way
``chronolex why`` gives it (one sentence, each reason with its message, remedy and
when it lifts), with its evidence, version and citation; what the platform actually
decided then, from the decision log; the account's timeline as a chart; and a bundle's
versions with the diff between two of them. Pages are rendered on the server and work
without JavaScript; every asset is served by the package itself (no CDN).

>>> console_routes.__name__
'console_routes'
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from chronolex.service.console.pages import Console
from chronolex.service.state import ServiceState
from chronolex.service.stores import ThreadStores

__all__ = ["STATIC_PATH", "console_routes"]

#: Where the console's CSS and JavaScript are served from.
STATIC_PATH = "/console-static"


def console_routes(state: ServiceState, stores: ThreadStores | None = None) -> list[BaseRoute]:
    """The console's routes over ``state``, to mount in the service's application:
    ``/`` (an account at an instant), ``/timeline``, ``/policy`` and the static assets.
    All are GET only. ``stores``: the service's per-thread connections to the event store,
    shared with the API (without them each page opens the store and closes it again)."""
    console = Console(state, stores)
    return [
        Route("/", console.account, methods=["GET"], name="console-account"),
        Route("/timeline", console.timeline, methods=["GET"], name="console-timeline"),
        Route("/policy", console.policy, methods=["GET"], name="console-policy"),
        Mount(STATIC_PATH, app=StaticFiles(packages=[("chronolex.service.console", "static")]),
              name="console-static"),
    ]
