"""Bearer tokens at the door: which routes need which kind of token.

With tokens configured, every request but ``/healthz``, ``/readyz`` and
``/openapi.json`` (what an orchestrator probes and a client reads first) needs one:
a platform token for ``POST /v1/decide``, ``/v1/events`` and ``/v1/admin/reload``, a
read token for everything else (``why``, ``timeline``, bundles, ``diff``, ``/metrics``,
the console). No token, or one the service does not know: 401; a token of the other
kind: 403. A token is sent as ``Authorization: Bearer TOKEN``; a browser (the console)
may send it as the password of HTTP Basic authentication, with any user name.
"""

from __future__ import annotations

import base64
import binascii

from starlette.types import ASGIApp, Receive, Scope as AsgiScope, Send

from chronolex.service.problems import Problem
from chronolex.service.tokens import Scope, Tokens, Verdict

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json"})
PLATFORM_ROUTES = frozenset({("POST", "/v1/decide"), ("POST", "/v1/events"), ("POST", "/v1/admin/reload")})


def scope_of(method: str, path: str) -> Scope:
    """The kind of token a request needs."""
    if path in OPEN_PATHS:
        return Scope.OPEN
    if (method, path.rstrip("/") or "/") in PLATFORM_ROUTES:
        return Scope.PLATFORM
    return Scope.READ


def presented_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization`` header: Bearer, or the password of Basic."""
    if not authorization:
        return None
    kind, _, value = authorization.strip().partition(" ")
    kind, value = kind.lower(), value.strip()
    if kind == "bearer" and value:
        return value
    if kind == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        _user, colon, password = decoded.partition(":")
        return password if colon and password else None
    return None


class TokenGuard:
    """ASGI middleware that refuses a request without the token its route needs."""

    def __init__(self, app: ASGIApp, tokens: Tokens) -> None:
        self.app = app
        self.tokens = tokens

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.tokens.any:
            await self.app(scope, receive, send)
            return
        needed = scope_of(scope["method"], scope["path"])
        authorization = None
        for key, value in scope.get("headers", ()):
            if key == b"authorization":
                authorization = value.decode("latin-1")
                break
        verdict = self.tokens.check(presented_token(authorization), needed)
        if verdict is Verdict.ALLOWED:
            await self.app(scope, receive, send)
            return
        if verdict is Verdict.FORBIDDEN:
            problem = Problem(403, "forbidden", f"this token may not call {scope['method']} {scope['path']}: it "
                              f"needs a {needed.value} token")
        else:
            problem = Problem(401, "unauthorized", f"{scope['method']} {scope['path']} needs a {needed.value} token: "
                              "send 'Authorization: Bearer TOKEN'",
                              headers={"WWW-Authenticate": 'Bearer realm="chronolex", Basic realm="chronolex"'})
        await problem.response(scope["path"])(scope, receive, send)
