"""How an event is written as text: instants in fixed-width UTC, field values with exact
decimals tagged, canonical JSON, and the content key that says two records are one event.

The store writes with these, and an account history orders events that tie on time by
the same key, so a history means the same whatever order it was read in.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import Decimal
from types import MappingProxyType

_DECIMAL_TAG = "$decimal"


class Unstorable(ValueError):
    """An event value the store has no representation for (a caller's bug, not a file's)."""


def encode_instant(instant: datetime) -> str:
    """Fixed-width UTC ISO 8601, so that text order is time order.

    >>> from datetime import timedelta
    >>> encode_instant(datetime(2026, 3, 8, 9, 0, tzinfo=timezone(timedelta(hours=8))))
    '2026-03-08T01:00:00.000000+00:00'
    """
    if instant.tzinfo is timezone.utc:  # the engine's own instants: no conversion to make
        return instant.isoformat(timespec="microseconds")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise Unstorable(f"instant {instant.isoformat()} has no timezone")
    return instant.astimezone(timezone.utc).isoformat(timespec="microseconds")


def decode_instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(timezone.utc)


def _tagged(value: object, *, normal: bool = False) -> object:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise Unstorable(f"{value} is not a finite number")
        return {_DECIMAL_TAG: _normal_text(value) if normal else str(value)}
    if value is None or isinstance(value, (str, int, float)):
        return value
    raise Unstorable(f"a field value of type {type(value).__name__} cannot be stored (fields are scalars)")


def _normal_text(value: Decimal) -> str:
    """The shortest exact text of a finite Decimal (trailing zeros dropped), so equal values hash alike."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    numerals = list(digits)
    while len(numerals) > 1 and numerals[-1] == 0:
        numerals.pop()
        exponent += 1
    if numerals == [0]:
        sign, exponent = 0, 0
    return str(Decimal((sign, tuple(numerals), exponent)))


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _canonical(value: object) -> str:
    return _CANONICAL.encode(value)  # one encoder made once: json.dumps with options builds one per call


def encode_fields(fields: Mapping[str, object]) -> str:
    """Canonical JSON of an event's fields, Decimals tagged.

    >>> encode_fields({"b": Decimal("12.50"), "a": 1})
    '{"a":1,"b":{"$decimal":"12.50"}}'
    """
    if not fields:
        return "{}"
    return _canonical({k: _tagged(v) for k, v in fields.items()})


def _untag(value: object) -> object:
    """A field value as stored: a tagged Decimal restored, anything else as it is."""
    if isinstance(value, dict):
        text = value.get(_DECIMAL_TAG)
        if len(value) == 1 and isinstance(text, str):
            return Decimal(text)
        raise ValueError("a field value is an object that is not a tagged decimal")
    return value


def decode_fields(text: str) -> Mapping[str, object]:
    """The fields :func:`encode_fields` wrote, Decimals restored, as a read-only mapping.

    Only the values are untagged, never the object of the fields itself: an event
    may have a field called ``$decimal``.

    >>> dict(decode_fields('{"a":1,"b":{"$decimal":"12.50"}}'))
    {'a': 1, 'b': Decimal('12.50')}
    >>> dict(decode_fields('{"$decimal":"12"}'))
    {'$decimal': '12'}
    """
    loaded = json.loads(text)
    if not isinstance(loaded, dict):
        raise ValueError("fields are not a JSON object")
    return freeze_fields({key: _untag(value) for key, value in loaded.items()})


def freeze_fields(fields: Mapping[str, object]) -> Mapping[str, object]:
    """An event's fields as a read-only mapping in key order."""
    return MappingProxyType(dict(sorted(fields.items())))


def identity_key(account: str, at: datetime, event_type: str, recorded_at: datetime,
                 fields: Mapping[str, object], event_id: str | None) -> str:
    """The identity of an event: its id when it has one, else a hash of its content
    (equal decimals hash alike whatever their trailing zeros)."""
    if event_id is not None:
        return "id:" + event_id
    at_text = encode_instant(at)
    return content_key(account, at_text, event_type, at_text if recorded_at is at else encode_instant(recorded_at),
                       fields)


def content_key(account: str, at: str, event_type: str, recorded_at: str, fields: Mapping[str, object]) -> str:
    """The content key of an event without an id, from its instants already encoded."""
    content = [account, at, event_type, recorded_at, {k: _tagged(v, normal=True) for k, v in fields.items()}]
    return "sha256:" + hashlib.sha256(_canonical(content).encode("utf-8")).hexdigest()
