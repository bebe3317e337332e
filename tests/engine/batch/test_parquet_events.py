"""Parquet event files (engine/batch/_parquet.py): the layout read back, files from other
systems completed, and every way a file can fail the layout named by file, row and column."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import chronolex
from chronolex.batch.event_table import read_event_table
from chronolex.errors import ChronolexError
from tests.engine.batch.test_event_table import bundle_in

UTC = timezone.utc
T1 = datetime(2026, 3, 1, 1, tzinfo=UTC)
T2 = datetime(2026, 3, 2, 1, tzinfo=UTC)


@pytest.fixture
def bundle(tmp_path: Path) -> chronolex.Bundle:
    return bundle_in("Asia/Shanghai", tmp_path)


def parquet(path: Path, columns: dict[str, pa.Array]) -> Path:
    pq.write_table(pa.table(columns), path)
    return path


def refusal(bundle: chronolex.Bundle, path: Path) -> tuple[str, int, int, str]:
    with pytest.raises(ChronolexError) as caught:
        read_event_table(bundle, [path])
    first = caught.value.diagnostics[0]
    assert first.span is not None and first.span.file == str(path)
    return first.code, first.span.line, first.span.column, first.message


def test_a_converted_file_reads_back_as_the_same_table(bundle: chronolex.Bundle, tmp_path: Path) -> None:
    source = tmp_path / "events.jsonl"
    source.write_text('{"account": "b", "at": "2026-03-01", "type": "paid", "amount": 12.50, "currency": "CNY"}\n'
                      '{"account": "a", "at": "2026-03-01T08:00:00", "type": "scored", "score": 580}\n'
                      '{"account": "a", "at": "2026-03-01T08:00:00", "type": "scored", "score": 590}\n'
                      '{"account": "a", "at": "2026-02-01", "type": "seen", "seen_at": "2026-02-01T10:00:00Z", '
                      '"grace": "P1D", "flag": true}\n')
    table = read_event_table(bundle, [source])
    pq.write_table(table, tmp_path / "events.parquet")
    assert read_event_table(bundle, [tmp_path / "events.parquet"]).equals(table)


def test_a_file_from_another_system_gets_recorded_at_and_its_order(bundle: chronolex.Bundle, tmp_path: Path) -> None:
    path = parquet(tmp_path / "other.parquet", {
        "account": pa.array(["a", "a", "b"]),
        "at": pa.array([T2, T1, T1], pa.timestamp("ms", tz="Asia/Shanghai")),
        "type": pa.array(["scored", "scored", "paid"]),
        "score": pa.array([600, 580, None], pa.int32()),
        "amount": pa.array([None, None, Decimal("3.25")], pa.decimal128(10, 2)),
    })
    table = read_event_table(bundle, [path])
    assert table.select(["account", "at", "recorded_at", "seq", "score", "amount"]).to_pylist() == [
        {"account": "a", "at": T1, "recorded_at": T1, "seq": 0, "score": 580, "amount": None},
        {"account": "a", "at": T2, "recorded_at": T2, "seq": 1, "score": 600, "amount": None},
        {"account": "b", "at": T1, "recorded_at": T1, "seq": 0, "score": None, "amount": Decimal("3.25")},
    ]
    assert table.schema.field("amount").type == pa.decimal128(38, 10)


def test_an_unknown_column_is_refused_with_its_position(bundle: chronolex.Bundle, tmp_path: Path) -> None:
    path = parquet(tmp_path / "e.parquet", {"account": pa.array(["a"]), "at": pa.array([T1]),
                                            "type": pa.array(["scored"]), "scroe": pa.array([1])})
    code, line, column, message = refusal(bundle, path)
    assert (code, column) == ("unknown-column", 4)
    assert "'scroe' is not a column of the event layout" in message


@pytest.mark.parametrize(("name", "array", "said"), [
    ("score", pa.array([1.5]), "column 'score' is double, the layout holds int64"),
    ("at", pa.array([datetime(2026, 3, 1)]), "column 'at' is timestamp[us], the layout holds timestamp[us, tz=UTC]"),
    ("flag", pa.array(["true"]), "column 'flag' is string, the layout holds bool"),
    ("paid_on", pa.array([datetime(2026, 3, 1, tzinfo=UTC)]), "column 'paid_on' is timestamp[us, tz=UTC], "
                                                              "the layout holds date32[day]"),
])
def test_a_column_of_the_wrong_type_is_refused(bundle: chronolex.Bundle, tmp_path: Path, name: str,
                                               array: pa.Array, said: str) -> None:
    columns = {"account": pa.array(["a"]), "at": pa.array([T1]), "type": pa.array(["scored"]), name: array}
    code, _, _, message = refusal(bundle, parquet(tmp_path / "e.parquet", columns))
    assert code == "column-type" and said in message


def test_a_decimal_that_does_not_convert_exactly_is_refused(bundle: chronolex.Bundle, tmp_path: Path) -> None:
    path = parquet(tmp_path / "e.parquet", {
        "account": pa.array(["a"]), "at": pa.array([T1]), "type": pa.array(["paid"]),
        "amount": pa.array([Decimal("0.123456789012")], pa.decimal128(20, 12))})
    code, _, column, message = refusal(bundle, path)
    assert (code, column) == ("column-type", 4) and "does not convert exactly" in message


def test_a_missing_required_column_is_refused(bundle: chronolex.Bundle, tmp_path: Path) -> None:
    path = parquet(tmp_path / "e.parquet", {"account": pa.array(["a"]), "at": pa.array([T1])})
    assert refusal(bundle, path)[3] == "no column 'type'"


@pytest.mark.parametrize(("column", "values", "row", "said"), [
    ("account", ["a", "b", None], 3, "row 3, column 'account': no value"),
    ("account", ["a", "", "c"], 2, "row 2, column 'account': empty account"),
    ("type", ["scored", "Scored", "scored"], 2, "is not an event type"),
    ("type", ["scored", "scored", "rated"], 3, "event type 'rated' is not declared by the bundle"),
])
def test_a_bad_row_is_named_by_row_and_column(bundle: chronolex.Bundle, tmp_path: Path, column: str,
                                              values: list[str | None], row: int, said: str) -> None:
    columns = {"account": pa.array(["a", "b", "c"]), "at": pa.array([T1] * 3),
               "type": pa.array(["scored"] * 3), column: pa.array(values, pa.string())}
    code, line, position, message = refusal(bundle, parquet(tmp_path / "e.parquet", columns))
    assert (code, line, position) == ("event-schema", row, list(columns).index(column) + 1)
    assert said in message


def test_values_must_fit_the_event_type(bundle: chronolex.Bundle, tmp_path: Path) -> None:
    path = parquet(tmp_path / "e.parquet", {
        "account": pa.array(["a", "a"]), "at": pa.array([T1, T2]), "type": pa.array(["paid", "scored"]),
        "currency": pa.array(["EUR", None]), "paid_on": pa.array([None, date(2026, 3, 1)])})
    with pytest.raises(ChronolexError) as caught:
        read_event_table(bundle, [path])
    said = sorted((d.span.line, d.message) for d in caught.value.diagnostics if d.span)
    assert said == [(1, "row 1, column 'currency': 'EUR' is not one of enum[CNY, USD]"),
                    (2, "row 2, column 'paid_on': a value for an event of type 'scored', which declares no field "
                        "'paid_on'")]


def test_a_bad_duration_is_refused(bundle: chronolex.Bundle, tmp_path: Path) -> None:
    path = parquet(tmp_path / "e.parquet", {"account": pa.array(["a"]), "at": pa.array([T1]),
                                            "type": pa.array(["seen"]), "grace": pa.array(["2 days"])})
    code, line, _, message = refusal(bundle, path)
    assert (code, line) == ("event-schema", 1) and "'2 days' is not an ISO 8601 duration" in message


def test_a_file_that_is_not_parquet_is_refused(bundle: chronolex.Bundle, tmp_path: Path) -> None:
    path = tmp_path / "e.parquet"
    path.write_text("not parquet")
    code, _, _, message = refusal(bundle, path)
    assert code == "io-error" and message.startswith(f"cannot read {path} as Parquet")


def test_parquet_is_not_read_together_with_text_files(bundle: chronolex.Bundle, tmp_path: Path) -> None:
    (tmp_path / "e.jsonl").write_text("")
    path = parquet(tmp_path / "e.parquet", {"account": pa.array(["a"]), "at": pa.array([T1]),
                                            "type": pa.array(["scored"])})
    with pytest.raises(ChronolexError, match="cannot be read together"):
        read_event_table(bundle, [path, tmp_path / "e.jsonl"])


def test_the_same_id_twice_is_one_event(bundle: chronolex.Bundle, tmp_path: Path) -> None:
    path = parquet(tmp_path / "e.parquet", {"account": pa.array(["a", "a"]), "at": pa.array([T2, T1]),
                                            "type": pa.array(["scored"] * 2), "id": pa.array(["x", "x"]),
                                            "score": pa.array([1, 2])})
    assert read_event_table(bundle, [path])["score"].to_pylist() == [1]


def test_an_instant_outside_the_supported_years_is_refused(bundle: chronolex.Bundle, tmp_path: Path) -> None:
    path = parquet(tmp_path / "e.parquet", {"account": pa.array(["a", "a"]), "type": pa.array(["scored"] * 2),
                                            "at": pa.array([T1, datetime(9500, 1, 1, tzinfo=UTC)])})
    code, line, column, message = refusal(bundle, path)
    assert (code, line, column) == ("event-schema", 2, 3)
    assert message == "row 2, column 'at': 9500-01-01 00:00:00+00:00 is outside the supported years 1000-9000"
