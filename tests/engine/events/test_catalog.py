"""Events read against the bundle's event catalog: a record that does not fit is bad input,
never an event that silently counts as nothing or a value silently dropped."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chronolex
from chronolex.lang.types import Type
from tests.conftest import HUABEI

BUNDLE = chronolex.load_bundle(HUABEI)
CATALOG = BUNDLE.events
assert CATALOG is not None


def write_jsonl(path: Path, *records: dict[str, object]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def record(type: str, **fields: object) -> dict[str, object]:
    return {"account": "a", "at": "2026-03-01T10:00", "type": type, **fields}


def test_every_bad_record_is_reported_with_its_line_and_field(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "e.jsonl",
        record("loan_disbursed", amount=3000),
        record("loan_disbursed", amount="15k"),          # the reproduction: a block became Allowed
        record("login_fialed"),                           # a misspelt type counted as nothing
        record("credit_score_updated", score=600, scroe=601),  # unknown field; `score` present: carried
        record("credit_score_updated", scroe=601),        # a misspelling of the declared field it lacks
        record("status_changed", status="gone"),
        record("kyc_verified", method=None),
    )
    with pytest.raises(chronolex.ChronolexError) as caught:
        chronolex.read_event_files([path], BUNDLE.timezone, catalog=CATALOG)
    found = [(d.span.line, d.code) for d in caught.value.diagnostics if d.span]
    assert found == [(2, "bad-field-value"), (3, "unknown-event-type"), (5, "unknown-event-field"),
                     (6, "bad-field-value"), (7, "bad-field-value")]
    by_line = {d.span.line: d for d in caught.value.diagnostics if d.span}
    assert by_line[2].message == "field 'amount' of loan_disbursed: '15k' is not a decimal"
    assert by_line[2].span is not None and by_line[2].span.column > 1   # points at the field
    assert by_line[3].help == "did you mean `login_failed`?"
    assert by_line[5].help is not None and by_line[5].help.startswith("did you mean `score`?")
    assert "one of active, frozen, closed" in by_line[6].message


def test_without_a_catalog_the_same_records_are_read(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "e.jsonl", record("loan_disbursed", amount="15k"), record("login_fialed"))
    assert len(chronolex.read_event_files([path], BUNDLE.timezone)) == 2


def test_events_of_another_bundle_are_refused(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "e.jsonl", record("margin_call", amount=100), record("withdrawal", amount=5))
    with pytest.raises(chronolex.ChronolexError) as caught:
        chronolex.read_event_files([path], BUNDLE.timezone, catalog=CATALOG)
    assert {d.code for d in caught.value.diagnostics} == {"unknown-event-type"}


def test_csv_records_are_checked_too(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("account,at,type,amount\na,2026-03-01,loan_disbursed,15k\n", encoding="utf-8")
    with pytest.raises(chronolex.ChronolexError) as caught:
        chronolex.read_event_files([path], BUNDLE.timezone, catalog=CATALOG)
    [problem] = caught.value.diagnostics
    assert problem.code == "bad-field-value" and problem.span is not None
    assert (problem.span.line, problem.span.column) == (2, 29)   # the amount cell


def test_skipping_leaves_the_bad_records_out_and_counts_each_once(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "e.jsonl",
        record("loan_disbursed", amount=3000),
        record("loan_disbursed", amount="15k", currency=7),   # two problems, one record
        record("login_fialed"),
    )
    source = chronolex.open_source([path], BUNDLE.timezone, catalog=CATALOG, skip_bad=True)
    assert source.skipped is not None and source.skipped.count == 2
    assert len(source.skipped.problems) == 3
    assert [e.fields["amount"] for e in source.history("a").events] == [3000]


def test_skipping_never_skips_a_file_that_cannot_be_read(tmp_path: Path) -> None:
    with pytest.raises(chronolex.ChronolexError) as caught:
        chronolex.open_source([tmp_path / "missing.jsonl"], BUNDLE.timezone, catalog=CATALOG, skip_bad=True)
    assert caught.value.diagnostics[0].code == "io-error"


def test_a_clean_read_has_nothing_skipped(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "e.jsonl", record("loan_disbursed", amount=3000))
    assert chronolex.open_source([path], BUNDLE.timezone, catalog=CATALOG, skip_bad=True).skipped is None


def test_the_store_is_checked_as_its_histories_are_read(tmp_path: Path) -> None:
    at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    with chronolex.EventStore(tmp_path / "s.db", create=True) as store:
        store.ingest([chronolex.Event("a", at, "login_fialed", at),
                      chronolex.Event("b", at, "login_failed", at)])
    with chronolex.EventStore(tmp_path / "s.db") as store:
        checked = chronolex.CheckedSource(store, CATALOG, BUNDLE.timezone, "s.db")
        assert len(checked.history("b")) == 1
        with pytest.raises(chronolex.ChronolexError) as caught:
            checked.history("a")
    [problem] = caught.value.diagnostics
    assert problem.code == "unknown-event-type" and "account 'a'" in problem.message


FIELD_TYPES = {
    "decimal": Type("decimal"), "int": Type("int"), "bool": Type("bool"), "string": Type("string"),
    "date": Type("date"), "enum": Type("enum", ("active", "frozen")),
}
VALUES = st.one_of(
    st.integers(-10**6, 10**6), st.booleans(), st.none(),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**6, max_value=10**6),
    st.sampled_from(["15k", "1500", "2026-02-29", "2025-02-29", "active", "gone", "", "1e3", "true"]),
)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(sorted(FIELD_TYPES)), value=VALUES)
def test_a_value_the_catalog_accepts_is_never_dropped_when_a_fact_folds_it(kind: str, value: object) -> None:
    """The check on reading and the conversion on folding are one rule: whatever passes the
    first is a value for the second, so no fact silently ignores an accepted event."""
    declared = FIELD_TYPES[kind]
    catalog = {"e": chronolex.EventType("e", {"f": declared})}
    problems = list(chronolex.catalog_problems("e", {"f": value}, catalog, BUNDLE.timezone))
    from chronolex.events.field_values import coerce
    try:
        coerce(value, declared, BUNDLE.timezone)
        converts = True
    except ValueError:
        converts = False
    assert (not problems) == converts


def test_the_decimal_of_a_json_number_stays_exact(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "e.jsonl", record("loan_disbursed"))
    path.write_text(path.read_text().replace("}", ', "amount": 0.10}'), encoding="utf-8")
    [event] = chronolex.read_event_files([path], BUNDLE.timezone, catalog=CATALOG)
    assert event.fields["amount"] == Decimal("0.10")


FAST_VALUES = st.one_of(
    VALUES, st.integers(), st.floats(), st.sampled_from([10**309, -10**309, Decimal("2e308"), Decimal("NaN"),
                                                        Decimal("-Infinity"), Decimal("1e308")]),
)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(sorted(FIELD_TYPES)), value=FAST_VALUES,
       name=st.sampled_from(["f", "g", "F"]), type_=st.sampled_from(["e", "E", "x"]))
def test_the_fast_yes_of_reading_agrees_with_the_full_catalog_check(kind: str, value: object, name: str,
                                                                    type_: str) -> None:
    """Reading asks ``plainly_fits`` first and the full check only on doubt: a yes must never
    hide a problem the full check finds (a value out of range, an undeclared field or type)."""
    from chronolex.events.catalog import catalog_problems, plainly_fits
    catalog = {"e": chronolex.EventType("e", {"f": FIELD_TYPES[kind]})}
    if plainly_fits(type_, {name: value}, catalog):
        assert list(catalog_problems(type_, {name: value}, catalog, BUNDLE.timezone)) == []


def test_the_fast_yes_takes_the_shipped_bundles_ordinary_records() -> None:
    from chronolex.events.catalog import plainly_fits
    assert plainly_fits("credit_score_updated", {"score": 701, "source": "credit_bureau"}, CATALOG)
    assert plainly_fits("loan_disbursed", {"amount": Decimal("3000.50"), "currency": "CNY"}, CATALOG)
    assert not plainly_fits("loan_disbursed", {"amount": "15k", "currency": "CNY"}, CATALOG)
