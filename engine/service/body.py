"""A request's JSON body: bounded in size, of a JSON media type, read strictly.

The body is read up to :attr:`ServiceLimits.max_body_bytes` and refused (413) past it,
whatever ``Content-Length`` claims. Only a JSON media type is accepted (415 otherwise):
a browser may send a cross-site ``text/plain`` form to a service on 127.0.0.1 without
asking, but not ``application/json``. The text is parsed as event files are: numbers
with a fraction stay exact decimals, NaN is refused, and so is a key given twice.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from chronolex.events.files import JSON_DECODER, RefusedJSON
from chronolex.service.limits import ServiceLimits
from chronolex.service.problems import Problem


def _json_media_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def read_json(request: Request, limits: ServiceLimits) -> Any:
    """The parsed body, or a :class:`Problem` (400, 413 or 415)."""
    if not _json_media_type(request.headers.get("content-type", "")):
        raise Problem(415, "unsupported-media-type", "send the body as JSON with 'Content-Type: application/json'")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limits.max_body_bytes:
        raise _too_large(limits)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limits.max_body_bytes:
            raise _too_large(limits)
        chunks.append(chunk)
    raw = b"".join(chunks)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Problem(400, "bad-json", f"the body is not UTF-8 text (byte {exc.start})") from None
    try:
        value, end = JSON_DECODER.raw_decode(text, _skip_space(text, 0))
        if _skip_space(text, end) != len(text):
            raise json.JSONDecodeError("extra data after the JSON value", text, end)
    except json.JSONDecodeError as exc:
        raise Problem(400, "bad-json", f"the body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") \
            from None
    except RefusedJSON as exc:
        raise Problem(400, "bad-json", f"the body is refused: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise Problem(400, "bad-json", f"the body is not readable JSON: {str(exc).splitlines()[0][:200]}") from None
    return value


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _too_large(limits: ServiceLimits) -> Problem:
    return Problem(413, "body-too-large", f"the body is larger than {limits.max_body_bytes:,} bytes",
                   extra={"limit": limits.max_body_bytes})
