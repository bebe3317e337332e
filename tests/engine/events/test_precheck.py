"""The pre-check of event records (engine/events/precheck.py) and jsonschema agree: the
pre-check vouches for exactly the records the event schema accepts, and reading a file
gives the same events and the same errors with it as with jsonschema on every record."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import chronolex.events.files as files
from chronolex.bundle.schemas import validator
from chronolex.errors import ChronolexError
from chronolex.events.precheck import plainly_valid
from tests.conftest import HUABEI
from tests.examples import examples

import chronolex

ZONE = ZoneInfo("Asia/Shanghai")
CATALOG = chronolex.load_bundle(HUABEI).events

_INSTANTS = ["2026-03-01", "2026-03-01T09:30", "2026-03-01T09:30:00+08:00", "2026-03-01 09:30Z",
             "2026-03-01T09:30:00.123456-05:00", "9000-12-31T23:59:59", "1000-01-01"]
_NOT_INSTANTS = ["", "2026-3-1", "2026-02-30", "2026-13-01", "2026-03-01T24:00", "2026-03-01T09:30:00+08:60",
                 "2026-03-01\n", "2026-03-01T09:30:00.1234567", "１２３４-03-01", "2026-03-01T09:30+0800", "today"]
_TYPES = ["kyc_verified", "login_failed", "a", "x_1", "Kyc", "1abc", "", "kyc-verified", "kyc verified",
          "kyc_verified\n", "é"]
_NAMES = ["score", "days", "amount", "channel", "method", "granted", "reason", "$decimal", "", "Score", "😀"]


def _text(values: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(values), st.text(max_size=12))


scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-10**400, max_value=10**400),
    st.decimals(allow_nan=False, allow_infinity=False), st.sampled_from([Decimal("1e400"), Decimal("-1e309"),
                                                                          Decimal("1.7976931348623157e308")]),
    st.text(max_size=10),
)
values: st.SearchStrategy[Any] = st.one_of(scalars, st.lists(scalars, max_size=2),
                                           st.dictionaries(st.text(max_size=3), scalars, max_size=2))


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """An event record, mostly valid, with random parts of it wrong, missing or of another kind."""
    record: dict[str, Any] = {}
    for key, good in (("account", st.sampled_from(["acct-1001", "a", "账户"])),
                      ("at", st.sampled_from(_INSTANTS)), ("type", st.sampled_from(_TYPES[:4]))):
        roll = draw(st.integers(0, 9))
        if roll == 0:
            continue                                                     # missing
        if roll == 1:
            record[key] = draw(values)                                   # of any kind
        elif roll == 2:
            record[key] = draw(_text(_NOT_INSTANTS if key == "at" else _TYPES if key == "type" else [""]))
        else:
            record[key] = draw(good)
    if draw(st.booleans()):
        record["recorded_at"] = draw(st.one_of(st.sampled_from(_INSTANTS + _NOT_INSTANTS), values))
    if draw(st.booleans()):
        record["id"] = draw(st.one_of(st.sampled_from(["e-1", ""]), values))
    for name in draw(st.lists(_text(_NAMES), max_size=4)):
        record[name] = draw(values)
    return record


@given(records())
@settings(max_examples=examples(500, 5000))  # the bugs it found are kept as @example below
@example({"account": "a", "at": "2026-03-01\n", "type": "x"})           # '$' in a pattern matches before '\n'
@example({"account": "a", "at": "2026-03-01", "type": "x", "big": 10**309})
@example({"account": "a", "at": "2026-03-01", "type": "x", "big": Decimal("-1.7976931348623157e308")})
def test_the_precheck_vouches_for_exactly_what_the_schema_accepts(record: dict[str, Any]) -> None:
    accepted = not any(validator("event").iter_errors(record))
    assert plainly_valid(record) == accepted


def test_the_precheck_leaves_a_float_or_a_subclass_to_jsonschema() -> None:
    class Text(str):
        pass

    assert not plainly_valid({"account": "a", "at": "2026-03-01", "type": "x", "rate": 0.5})
    assert not plainly_valid({"account": Text("a"), "at": "2026-03-01", "type": "x"})


# -- through the file reader ----------------------------------------------------------------


@contextmanager
def jsonschema_on_every_record() -> Iterator[None]:
    real = files.plainly_valid
    files.plainly_valid = lambda record: False  # type: ignore[assignment]
    try:
        yield
    finally:
        files.plainly_valid = real  # type: ignore[assignment]


def _outcome(path: Path) -> object:
    try:
        events = files.read_event_files([path], ZONE, catalog=CATALOG)
    except ChronolexError as error:
        return [(d.code, d.message, str(d.span), d.help) for d in error.diagnostics]
    return [(e.account, e.at, e.type, e.recorded_at, dict(e.fields), e.id, e.origin) for e in events]


def _json_value(value: Any) -> str:
    if isinstance(value, Decimal):   # its exact text is a JSON number (1E+400 included)
        return str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def _line(record: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)}: {_json_value(v)}" for k, v in record.items()) + "}"


@given(st.lists(records(), min_size=1, max_size=6))
@settings(max_examples=examples(100, 1000))
def test_a_file_reads_the_same_with_the_precheck_as_with_jsonschema_on_every_record(
    tmp_path_factory: pytest.TempPathFactory, batch: list[dict[str, Any]]
) -> None:
    path = tmp_path_factory.mktemp("precheck") / "events.jsonl"
    path.write_text("\n".join(_line(record) for record in batch) + "\n", encoding="utf-8")
    fast = _outcome(path)
    with jsonschema_on_every_record():
        slow = _outcome(path)
    assert fast == slow
