"""A fast yes for event records the event schema accepts; any doubt goes to jsonschema.

Reading an event file checks every record against ``schemas/event.schema.json``. Asking
``jsonschema`` about each of hundreds of thousands of records costs more than everything
else ingest does, while almost every record is plainly fine. :func:`plainly_valid` answers
"the schema has nothing to say about this record" with a few type tests and the schema's
own two patterns; when it says anything else (False), the caller asks ``jsonschema``,
which finds and words the errors. So an error is always jsonschema's, and the pre-check
only needs to be right when it says yes. It is not a JSON Schema implementation: it
knows this one fixed schema, and a test checks that it never accepts a record the
schema refuses (and accepts the same records on random and mutated input).

The patterns and the numeric bounds are read from the schema itself, and searched the
way jsonschema searches them (``re.search``), so the two cannot drift apart.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from chronolex.bundle.schemas import schema

_EVENT = schema("event")
_PROPERTIES: dict[str, Any] = _EVENT["properties"]
_INSTANT = re.compile(_EVENT["$defs"]["instant"]["pattern"])
_TYPE = re.compile(_PROPERTIES["type"]["pattern"])
_LOW: float = _EVENT["additionalProperties"]["minimum"]
_HIGH: float = _EVENT["additionalProperties"]["maximum"]
_REQUIRED = tuple(_EVENT["required"])

# What the pre-check knows of the schema's structure; a change of the schema that this does
# not know about makes every record go to jsonschema (slower, never wrong).
def _is(subschema: dict[str, Any], **expected: object) -> bool:
    return set(subschema) <= {"description", *expected} and all(subschema.get(k) == v for k, v in expected.items())


_DEFS: dict[str, Any] = _EVENT.get("$defs", {})
_KNOWN = (
    set(_PROPERTIES) == {"account", "at", "type", "recorded_at", "id"}
    and set(_REQUIRED) == {"account", "at", "type"}
    and _EVENT.get("type") == "object"
    and _is(_PROPERTIES["account"], type="string", minLength=1)
    and _is(_PROPERTIES["id"], type="string", minLength=1)
    and _is(_PROPERTIES["type"], type="string", pattern=_TYPE.pattern)
    and _is(_PROPERTIES["at"], **{"$ref": "#/$defs/instant"})
    and _is(_PROPERTIES["recorded_at"], **{"$ref": "#/$defs/instant"})
    and _is(_DEFS["instant"], type="string", pattern=_INSTANT.pattern)
    and _is(_EVENT["additionalProperties"], type=["string", "number", "boolean", "null"], minimum=_LOW, maximum=_HIGH)
    and set(_EVENT) <= {"$schema", "$id", "title", "description", "type", "properties", "required",
                        "additionalProperties", "$defs", "examples"}
)


def plainly_valid(record: dict[str, Any]) -> bool:
    """True when ``record`` (a parsed JSON object) plainly satisfies the event schema;
    False when it may not (then ask jsonschema, which says why).

    >>> plainly_valid({"account": "a", "at": "2026-03-01", "type": "kyc_verified", "score": 701})
    True
    >>> plainly_valid({"account": "a", "at": "2026-03-01", "type": "Kyc"})
    False
    """
    if not _KNOWN:
        return False
    for key in _REQUIRED:
        if key not in record:
            return False
    for key, value in record.items():
        kind = type(value)
        if key == "at" or key == "recorded_at":
            if kind is not str or _INSTANT.search(value) is None:
                return False
        elif key == "account" or key == "id":
            if kind is not str or not value:
                return False
        elif key == "type":
            if kind is not str or _TYPE.search(value) is None:
                return False
        elif kind is str or kind is bool or value is None:
            continue
        elif kind is int:
            if value < _LOW or value > _HIGH:
                return False
        elif kind is Decimal:
            if not value.is_finite() or value < _LOW or value > _HIGH:
                return False
        else:  # a float, a list, an object, a subclass of anything: let jsonschema decide
            return False
    return True
