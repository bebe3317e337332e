"""Errors as RFC 9457 problem documents (``application/problem+json``).

Every refusal of the service is one :class:`Problem`: a status, a stable ``type`` URI
(its last segment is the code a client switches on), a title, a detail that says what
to change, and extension members where they help (``errors`` for each finding of a bad
event or fact, ``index`` for the request of a batch that was refused). Nothing else
ever reaches a client: an unexpected exception is logged and answered with a 500
problem, never a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse

from chronolex.errors import ChronolexError, Diagnostic, Severity

PROBLEM_MEDIA_TYPE = "application/problem+json"
#: The base of every problem ``type``; the code follows it.
TYPE_BASE = "https://chronolex.dev/problems/"

_TITLES = {
    400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
    409: "Conflict", 413: "Content too large", 415: "Unsupported media type", 422: "Unprocessable content",
    500: "Internal server error", 503: "Service unavailable",
}


class Problem(Exception):
    """A refusal, raised anywhere in a route and answered as a problem document."""

    def __init__(self, status: int, code: str, detail: str, *, title: str | None = None,
                 extra: Mapping[str, Any] | None = None, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.title = title or _TITLES.get(status, "Error")
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})

    def document(self, instance: str | None = None) -> dict[str, Any]:
        """The problem document (RFC 9457 members first, then the extensions)."""
        document: dict[str, Any] = {"type": TYPE_BASE + self.code, "title": self.title, "status": self.status,
                                    "detail": self.detail}
        if instance is not None:
            document["instance"] = instance
        document.update(self.extra)
        return document

    def response(self, instance: str | None = None) -> JSONResponse:
        return JSONResponse(self.document(instance), status_code=self.status, media_type=PROBLEM_MEDIA_TYPE,
                            headers=self.headers)


def finding(diagnostic: Diagnostic) -> dict[str, Any]:
    """One finding of the engine as JSON: code, message, where (``file:line:col``), help."""
    found: dict[str, Any] = {"code": diagnostic.code, "message": diagnostic.message}
    if diagnostic.span is not None:
        found["where"] = f"{diagnostic.span.file}:{diagnostic.span.line}:{diagnostic.span.column}"
    if diagnostic.help:
        found["help"] = diagnostic.help
    return found


def from_error(error: ChronolexError, *, status: int = 422, extra: Mapping[str, Any] | None = None) -> Problem:
    """The engine's one exception as a problem: the first error is the detail, every
    finding is listed under ``errors``."""
    errors = [d for d in error.diagnostics if d.severity is Severity.ERROR] or list(error.diagnostics)
    first = errors[0] if errors else None
    detail = first.message if first is not None else str(error)
    if first is not None and first.help:
        detail += f" ({first.help})"
    code = first.code if first is not None else "error"
    return Problem(status, code, detail, extra={**(extra or {}), "errors": [finding(d) for d in errors]})
