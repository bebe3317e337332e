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
from typing import Any

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
#: The C encoder behind ``_CANONICAL``, made once: ``JSONEncoder.encode`` builds a new one on
#: every call, which costs more than encoding a record's few fields. Without the C
#: accelerator (another Python implementation), the encoder object does the work.
def _c_canonical() -> Any:
    """The accelerator with ``_CANONICAL``'s options, or None. It is CPython's private
    function, so it is used only if it exists, takes these arguments and writes exactly
    what the public encoder writes for a sample of every kind of value."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    sample = {"b": [1, True, None, "é\"\n"], "a": {"z": -2, "y": "x"}, "c": ""}
    try:
        made = make(None, _CANONICAL.default, json.encoder.encode_basestring, None, ":", ",", True, False, False)
        same = "".join(made(sample, 0)) == _CANONICAL.encode(sample)
    except Exception:  # noqa: BLE001 - another signature: the public encoder does the work
        return None
    return made if same else None


_C_CANONICAL = _c_canonical()


def _canonical(value: object) -> str:
    """Canonical JSON of ``value``, built of scalars, lists and dicts (never a cycle: event values are scalars)."""
    if _C_CANONICAL is None:  # pragma: no cover - CPython has the accelerator
        return _CANONICAL.encode(value)
    return "".join(_C_CANONICAL(value, 0))


#: Field value types written as they are, in both the stored text and the content key.
_PLAIN = frozenset({str, int, bool, type(None)})


def _plain(fields: Mapping[str, object]) -> bool:
    """Whether every value of ``fields`` is written as it is (no Decimal to tag, no float to check)."""
    return _PLAIN.issuperset(map(type, fields.values()))  # one pass in C, not a Python loop per value


def encode_fields(fields: Mapping[str, object]) -> str:
    """Canonical JSON of an event's fields, Decimals tagged.

    >>> encode_fields({"b": Decimal("12.50"), "a": 1})
    '{"a":1,"b":{"$decimal":"12.50"}}'
    """
    if not fields:
        return "{}"
    if _plain(fields):
        return _canonical(dict(fields))
    return _canonical({k: _tagged(v) for k, v in fields.items()})


def stored_text(account: str, at: str, event_type: str, recorded_at: str, fields: Mapping[str, object],
                event_id: str | None) -> tuple[str, str]:
    """(key, fields as stored) of an event whose instants are already encoded.

    The same values as ``identity_key`` and :func:`encode_fields`, computed for ingest:
    when no field needs its value normalised (no Decimal), the canonical JSON of the
    fields is written once and reused inside the text the content key hashes, which
    is the canonical JSON of ``[account, at, type, recorded_at, fields]``.

    >>> stored_text("a", "t", "x", "t", {"n": 1}, None) == (
    ...     content_key("a", "t", "x", "t", {"n": 1}), encode_fields({"n": 1}))
    True
    """
    if not fields:
        text = normal = "{}"
    elif _plain(fields):
        text = normal = _canonical(dict(fields))
    else:
        text = _canonical({k: _tagged(v) for k, v in fields.items()})
        if event_id is not None:
            return "id:" + event_id, text
        normal = _canonical({k: _tagged(v, normal=True) for k, v in fields.items()})
    if event_id is not None:
        return "id:" + event_id, text
    content = _canonical([account, at, event_type, recorded_at])[:-1] + "," + normal + "]"
    return "sha256:" + hashlib.sha256(content.encode("utf-8")).hexdigest(), text


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
