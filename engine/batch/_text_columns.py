"""JSON Lines and CSV read column by column, checked column by column: the fast path.

The per-account reader (``chronolex.events.files``) parses each record into a Python
object and checks it; at a million events that is most of the time a batch replay takes.
Here Arrow's JSON and CSV readers parse a whole file into typed columns (numbers of a
decimal field straight into decimal128 from their text, never through a double), and
every rule of ``schemas/event.schema.json`` and of the bundle's event catalog is checked
on whole columns: the type pattern, the instants (offset-bearing ones cast by Arrow, the
others, wall times in the bundle zone, read by :mod:`chronolex.instants`
once per distinct text), declared types, enum values, dates, durations, misspellings.

Like ``chronolex.events.precheck``, this path only has to be right when it says yes. Any
doubt (a parse error, a ``null``, a value of another type, a quoted CSV cell, a wall time
that does not parse) makes :func:`read_text_columns` return None, and the caller reads the
files with the per-account reader instead, which accepts exactly what it accepts and words
every error with file and line. So an error is always that reader's, and a file the fast
path refuses for no good reason is only slower.
"""

from __future__ import annotations

import csv
import difflib
import io
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.json as pjson

from chronolex.batch._from_events import arrow_schema
from chronolex.batch.layout import field_columns
from chronolex.events.catalog import Catalog, _MISSPELT
from chronolex.events.files import CSV_SUFFIXES, JSONL_SUFFIXES
from chronolex.events.precheck import _INSTANT as _SCHEMA_INSTANT
from chronolex.instants import Duration, parse_date, parse_instant, parse_recorded_instant
from chronolex.lang.types import Type
from chronolex.model import Bundle

_UTC = pa.timestamp("us", tz="UTC")
_RESERVED = ("account", "at", "type", "recorded_at", "id")
#: An instant Arrow casts exactly as parse_instant reads it: an explicit offset, a year in
#: the supported range, every part within the schema's bounds, never -00:00.
_CASTABLE = (r"^[1-8][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[T ]([01][0-9]|2[0-3]):[0-5][0-9]"
             r"(:[0-5][0-9](\.[0-9]{1,6})?)?(Z|\+([01][0-9]|2[0-3]):[0-5][0-9]|-([01][0-9]|2[0-3]):[0-5][0-9])$")
_NEG_ZERO = r"-00:00$"
_TYPE = r"^[a-z][a-z0-9_]*$"
_JSON_INT = r"^-?(0|[1-9][0-9]*)$"
_JSON_NUMBER = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$"
_NULL = re.compile(rb":\s*null\b")
#: A line with something on it besides JSON whitespace: Arrow makes at least one record of each.
_RECORD_LINE = re.compile(rb"^[ \t\r]*[^ \t\r\n]", re.MULTILINE)


class _Doubt(Exception):
    """The fast path cannot vouch for this input: read it with the per-account reader."""


@dataclass(frozen=True, slots=True)
class TextColumns:
    """The events of some files as columns, in file order, before order and duplicates are settled.

    ``table`` has the layout's columns except ``seq``, and ``file``/``row`` (which file of
    ``paths``, which record of it) so that the raw record of a row can be read again."""

    table: pa.Table
    paths: tuple[Path, ...]


def is_text(path: Path) -> bool:
    return path.suffix.lower() in JSONL_SUFFIXES + CSV_SUFFIXES


def read_text_columns(bundle: Bundle, paths: Sequence[Path]) -> TextColumns | None:
    """The events of ``paths`` (JSON Lines or CSV) as checked columns, or None when in doubt."""
    catalog = bundle.events
    assert catalog is not None  # field_columns refused a bundle without one
    fields = field_columns(bundle)
    parts = []
    try:
        for index, path in enumerate(paths):
            raw = _read_file(path, fields)
            part = _checked(raw, catalog, fields, bundle.timezone, bundle, path.suffix.lower() in CSV_SUFFIXES)
            parts.append(part.append_column("file", pa.array([index] * part.num_rows, pa.int32()))
                         .append_column("row", pa.array(range(part.num_rows), pa.int64())))
    except _Doubt:
        return None
    schema = arrow_schema(bundle).remove(arrow_schema(bundle).get_field_index("seq"))
    schema = schema.append(pa.field("file", pa.int32())).append(pa.field("row", pa.int64()))
    table = pa.concat_tables(parts) if parts else schema.empty_table()
    return TextColumns(table, tuple(paths))


def _read_file(path: Path, fields: dict[str, Type]) -> pa.Table:
    try:
        data = path.read_bytes()
    except OSError:
        raise _Doubt() from None  # the per-account reader words it
    try:
        if path.suffix.lower() in CSV_SUFFIXES:
            return _read_csv(data)
        return _read_jsonl(data, fields)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError, UnicodeDecodeError, csv.Error):
        raise _Doubt() from None


def _read_jsonl(data: bytes, fields: dict[str, Type]) -> pa.Table:
    if _NULL.search(data):  # a null field is an error for a declared field; Arrow reads it as absent
        raise _Doubt()
    if _RECORD_LINE.search(data) is None:
        return pa.table({name: pa.array([], pa.string()) for name in _RESERVED})
    schema = pa.schema([(name, pa.string()) for name in _RESERVED]
                       + [(name, _json_type(declared)) for name, declared in fields.items()])
    options = pjson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")
    table = pjson.read_json(io.BytesIO(data), parse_options=options)
    if table.num_rows != _record_lines(data):
        raise _Doubt()  # two objects on one line, or one object over several: not one record a line
    return table


def _record_lines(data: bytes) -> int:
    """How many lines of ``data`` hold something besides JSON whitespace."""
    lines = data.split(b"\n")
    return sum(map(bool, map(bytes.strip, lines, itertools.repeat(b" \t\r"))))


def _json_type(declared: Type) -> pa.DataType:
    """How Arrow reads a field from JSON: numbers and booleans typed, the rest as text."""
    return {"int": pa.int64(), "decimal": pa.decimal128(38, 10), "bool": pa.bool_()}.get(declared.name, pa.string())


def _read_csv(data: bytes) -> pa.Table:
    if b'"' in data:  # quoting rules differ between readers; the per-account reader decides
        raise _Doubt()
    text = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    first = text.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8")
    header = next(csv.reader([first]), [])
    if (len(set(header)) != len(header) or not all(name.strip() for name in header)
            or not {"account", "at", "type"} <= set(header)):
        raise _Doubt()
    table = pcsv.read_csv(
        io.BytesIO(text),
        read_options=pcsv.ReadOptions(column_names=header, skip_rows=1),
        parse_options=pcsv.ParseOptions(quote_char=False, newlines_in_values=False),
        convert_options=pcsv.ConvertOptions(column_types={name: pa.string() for name in header},
                                            strings_can_be_null=False),
    )
    # An empty cell means the key is absent.
    return pa.table({name: pc.if_else(pc.equal(table[name], ""), None, table[name]) for name in header})


def _checked(raw: pa.Table, catalog: Catalog, fields: dict[str, Type], zone: tzinfo, bundle: Bundle,
             is_csv: bool) -> pa.Table:
    """The layout's columns of ``raw`` after every check, or :class:`_Doubt`."""
    names = set(raw.column_names)
    rows = raw.num_rows
    columns = {name: (raw[name] if name in names else pa.chunked_array([pa.nulls(rows, pa.string())]))
               for name in _RESERVED}
    for name in ("account", "at", "type"):
        _require(pc.is_valid(columns[name]))
    _require(pc.greater(pc.utf8_length(columns["account"]), 0))
    _require(pc.match_substring_regex(columns["type"], _TYPE))
    _require(pc.fill_null(pc.greater(pc.utf8_length(columns["id"]), 0), True))
    for column in raw.column_names:
        if column not in _RESERVED and not _scalar(raw.schema.field(column).type):
            raise _Doubt()
    at = _instants(columns["at"], zone, schema_checked=True, read=parse_recorded_instant)
    recorded = _instants(columns["recorded_at"], zone, schema_checked=True, read=parse_recorded_instant)
    recorded = pc.if_else(pc.is_valid(recorded), recorded, at)
    out: dict[str, pa.ChunkedArray | pa.Array] = {
        "account": columns["account"], "at": at, "recorded_at": recorded, "type": columns["type"],
        "id": columns["id"],
    }
    types = columns["type"]
    present_types = pc.unique(types).to_pylist()
    if any(t not in catalog for t in present_types):
        raise _Doubt()
    for name, column_type in fields.items():
        out[name] = _field(raw, name, column_type, types, present_types, catalog, zone, is_csv)
    others = [c for c in raw.column_names if c not in _RESERVED]
    for type_name in present_types:
        _misspelt(raw, others, type_name, catalog, types)
    return pa.table(out, schema=arrow_schema(bundle).remove(arrow_schema(bundle).get_field_index("seq")))


def _require(holds: pa.Array | pa.ChunkedArray) -> None:
    """Doubt unless ``holds`` is true on every row (a null is a doubt too)."""
    if not pc.all(pc.fill_null(holds, False), min_count=0).as_py():
        raise _Doubt()


def _scalar(data_type: pa.DataType) -> bool:
    return bool(pa.types.is_string(data_type) or pa.types.is_integer(data_type) or pa.types.is_floating(data_type)
                or pa.types.is_boolean(data_type) or pa.types.is_decimal(data_type) or pa.types.is_null(data_type))


def _field(raw: pa.Table, name: str, column_type: Type, types: pa.ChunkedArray, present: list[str],
           catalog: Catalog, zone: tzinfo, is_csv: bool) -> pa.Array | pa.ChunkedArray:
    """The column of field ``name``: its value where the event's type declares it, null elsewhere."""
    target = arrow_schema_type(column_type)
    if name not in raw.column_names:
        return pa.nulls(raw.num_rows, target)
    declaring = [t for t in present if name in catalog[t].fields]
    mask = pc.is_in(types, pa.array(declaring, pa.string())) if declaring else pa.array([False] * raw.num_rows)
    values = pc.if_else(mask, raw[name], pa.scalar(None, raw[name].type))
    for type_name in declaring:
        declared = catalog[type_name].fields[name]
        of_type = values.filter(pc.equal(types, type_name))
        _check_values(of_type, declared, is_csv)
    return _typed(values, column_type, zone, raw.schema.field(name).type)


def arrow_schema_type(declared: Type) -> pa.DataType:
    return {"int": pa.int64(), "decimal": pa.decimal128(38, 10), "bool": pa.bool_(), "date": pa.date32(),
            "datetime": _UTC}.get(declared.name, pa.string())


def _check_values(values: pa.ChunkedArray, declared: Type, is_csv: bool) -> None:
    """Doubt unless every value given is one of the ``declared`` type, as the per-account reader types it."""
    given = values.drop_null()
    if len(given) == 0:
        return
    kind = declared.name
    if is_csv:  # every cell is text, typed as the same text would be as a JSON scalar
        if kind == "int":
            _require(pc.match_substring_regex(given, _JSON_INT))
        elif kind == "decimal":
            _require(pc.match_substring_regex(given, _JSON_NUMBER))
        elif kind == "bool":
            _require(pc.is_in(given, pa.array(["true", "false"])))
        else:
            text_like = pc.or_(pc.is_in(given, pa.array(["true", "false"])),
                               pc.match_substring_regex(given, _JSON_NUMBER))
            if pc.any(text_like).as_py():
                raise _Doubt()  # a CSV cell that reads as a number or a boolean, in a text field
    if kind == "enum":
        _require(pc.is_in(given, pa.array(sorted(declared.values), pa.string())))
    elif kind == "date":
        _each_distinct(given, parse_date)
    elif kind == "duration":
        _each_distinct(given, Duration.parse)



def _each_distinct(values: pa.ChunkedArray, check: Callable[[str], object]) -> None:
    for text in pc.unique(values).to_pylist():
        try:
            check(text)
        except (ValueError, OverflowError, ArithmeticError):
            raise _Doubt() from None


def _typed(values: pa.ChunkedArray, declared: Type, zone: tzinfo, read_as: pa.DataType) -> pa.ChunkedArray:
    kind = declared.name
    if kind == "datetime":  # a recorded time too: a wall time in a gap is the per-record reader's to refuse
        return _instants(values, zone, schema_checked=False, read=parse_recorded_instant)
    if kind == "date":
        distinct = pc.unique(values.drop_null())
        days = pa.array([parse_date(text) for text in distinct.to_pylist()], pa.date32())
        return pc.take(days, pc.index_in(values, distinct))
    if kind == "duration":
        return canonical_durations(values)
    if kind == "bool" and pa.types.is_string(read_as):
        return pc.equal(values, "true")
    if pa.types.is_string(read_as) and kind in ("int", "decimal"):
        try:
            return values.cast(arrow_schema_type(declared))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise _Doubt() from None
    return values


def canonical_durations(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Each duration in its one spelling (:attr:`chronolex.instants.Duration.text`)."""
    distinct = pc.unique(values.drop_null())
    texts = pa.array([Duration.parse(text).text for text in distinct.to_pylist()], pa.string())
    return pc.take(texts, pc.index_in(values, distinct))


def _instants(values: pa.ChunkedArray, zone: tzinfo, *, schema_checked: bool,
              read: Callable[[str, tzinfo], datetime] = parse_instant) -> pa.ChunkedArray:
    """Text instants as UTC timestamps: offset-bearing ones cast by Arrow, the rest (wall
    times in ``zone``, dates, odd forms) by ``read`` once per distinct text (an event's
    ``at`` and ``recorded_at`` by parse_recorded_instant, as the per-record reader does)."""
    castable = pc.and_(pc.match_substring_regex(values, _CASTABLE),
                       pc.invert(pc.match_substring_regex(values, _NEG_ZERO)))
    castable = pc.fill_null(castable, False)
    fast = pc.if_else(castable, values, pa.scalar(None, pa.string()))
    try:
        result = fast.cast(_UTC)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise _Doubt() from None
    rest = values.filter(pc.and_(pc.is_valid(values), pc.invert(castable)))
    if len(rest) == 0:
        return result
    distinct = pc.unique(rest)
    instants: list[datetime] = []
    for text in distinct.to_pylist():
        if schema_checked and _SCHEMA_INSTANT.search(text) is None:
            raise _Doubt()
        try:
            instants.append(read(text, zone))
        except (ValueError, OverflowError):
            raise _Doubt() from None
    slow = pc.take(pa.array(instants, _UTC), pc.index_in(values, distinct))
    return pc.if_else(castable, result, slow)


def _misspelt(raw: pa.Table, others: list[str], type_name: str, catalog: Catalog, types: pa.ChunkedArray) -> None:
    """Doubt when a record of ``type_name`` carries an undeclared field that may be a
    misspelling of a declared field it lacks (chronolex.events.catalog refuses those)."""
    declared = catalog[type_name].fields
    mask = pc.equal(types, type_name)
    for name in others:
        if name in declared:
            continue
        carried = pc.and_(mask, pc.is_valid(raw[name]))
        if not pc.any(carried).as_py():
            continue
        for candidate in declared:
            if difflib.get_close_matches(name, [candidate], n=1, cutoff=_MISSPELT):
                lacking = pc.and_(carried, pc.is_null(raw[candidate]) if candidate in raw.column_names
                                  else pa.array([True] * raw.num_rows))
                if pc.any(lacking).as_py():
                    raise _Doubt()
