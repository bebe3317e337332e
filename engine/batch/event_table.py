"""Reading events into the columnar event table (engine/batch/layout.py), fast and checked.

:func:`read_event_table` is the one door through which a batch engine gets its events,
from JSON Lines, CSV, Parquet or the store. Its promise: the table holds exactly the
events the per-account reader (:func:`chronolex.open_source`, the store through
:class:`chronolex.CheckedSource`) gives, in the same order (``seq``), with the same typed
values, and it refuses what that reader refuses, with the same message naming file and
line. The layout refuses a little more: a decimal with more than 10 digits after the
point, a whole number beyond 64 bits (:class:`~chronolex.batch.errors.LayoutError`).

How it keeps that promise cheaply: JSON Lines and CSV are parsed and checked column by
column (``_text_columns``); when that path has any doubt, the files are read again by the
per-account reader (``_from_events``), which decides and words the errors. The store is
read through the per-account reader. Parquet is checked column by column (``_parquet``).
Then, as the per-account reader does: the same ``id`` twice is one event (the first one
read is kept); events without an id that tie on (account, at, recorded_at, type) are
ordered, and the same content twice merged, by their content key, computed only for those.
"""

from __future__ import annotations

import csv
import glob
import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from chronolex.batch._from_events import arrow_schema, table_of_histories
from chronolex.batch._parquet import PARQUET_SUFFIXES, is_parquet, read_parquet_columns
from chronolex.batch._text_columns import is_text, read_text_columns
from chronolex.batch.layout import field_columns
from chronolex.errors import ChronolexError, Diagnostic, Severity, Span
from chronolex.events.catalog import CheckedSource
from chronolex.events.encoding import content_key, encode_instant
from chronolex.events.event import RESERVED_KEYS, SkippedRecords
from chronolex.events.files import CSV_SUFFIXES, JSONL_SUFFIXES, _cell_value, open_source
from chronolex.events.store import EventStore
from chronolex.model import Bundle

__all__ = ["expand_event_paths", "read_event_table", "skipped_records"]

#: How the rows that tie get their order: one key per row of the table given.
_TieKeys = Callable[[pa.Table], list[str]]

_GLOB = frozenset("*?[")


def expand_event_paths(patterns: Iterable[str | Path]) -> tuple[Path, ...]:
    """Every file the patterns name, in the order given (a glob's matches sorted by name).

    A pattern with ``*``, ``?`` or ``[`` is a glob (``**`` crosses folders); one that matches
    no file is an error, as is a plain path that does not exist, so that a mistyped name never
    reads as "no events".

    >>> expand_event_paths(["no-such-*.jsonl"])
    Traceback (most recent call last):
    ...
    chronolex.errors.ChronolexError: no-such-*.jsonl:1:1: error[io-error]: no file matches the pattern 'no-such-*.jsonl'
    """
    found: list[Path] = []
    for pattern in patterns:
        text = str(pattern)
        if _GLOB & set(text):
            matches = sorted(p for p in glob.glob(text, recursive=True) if Path(p).is_file())
            if not matches:
                raise ChronolexError.single("io-error", f"no file matches the pattern {text!r}", Span(text, 1, 1),
                                            "check the pattern; quote it so the shell does not expand it first")
            found.extend(Path(p) for p in matches)
        else:
            path = Path(text)
            if not path.is_file():
                why = ("is a folder, not a file" if path.is_dir() else "is not a regular file" if path.exists()
                       else "does not exist")
                raise ChronolexError.single("io-error", f"cannot read {text}: it {why}", Span(text, 1, 1))
            found.append(path)
    return tuple(dict.fromkeys(found))  # a file named twice is read once


def read_event_table(bundle: Bundle, paths: Sequence[str | Path] = (), db: str | Path | None = None, *,
                     skip_bad: bool = False) -> pa.Table:
    """The events of ``paths`` (globs allowed) or of the store ``db``, as the bundle's event table.

    Rows are sorted by account, then ``seq``. Raises :class:`ChronolexError` for a bad record
    (file and line; for Parquet, row and column), an unreadable path, a pattern that matches
    nothing, or a value the layout cannot hold.

    ``skip_bad`` leaves bad records of JSON Lines and CSV files out instead, as
    :func:`chronolex.open_source` does (a file that cannot be read at all is still an
    error); :func:`skipped_records` then says how many and why. Parquet files and the store
    are refused whole, as the per-account reader refuses them.

    >>> import chronolex
    >>> bundle = chronolex.load_bundle("policies/huabei")
    >>> table = read_event_table(bundle, ["policies/huabei/examples/*.jsonl"])
    >>> table.column_names[:6]
    ['account', 'at', 'recorded_at', 'type', 'id', 'seq']
    """
    field_columns(bundle)  # a LayoutError before anything is read
    if db is not None and paths:
        raise ChronolexError.single("usage", "read events from files or from a store, not both")
    if db is not None:
        return _from_store(bundle, Path(db))
    files = list(expand_event_paths(paths))
    parquet = [p for p in files if is_parquet(p)]
    if parquet and len(parquet) != len(files):
        raise ChronolexError.single(
            "event-format", "Parquet files cannot be read together with JSON Lines or CSV files",
            Span(str(files[0]), 1, 1), "convert the text files first (chronolex events convert)")
    for path in files:
        if not (is_parquet(path) or is_text(path)):
            known = ", ".join(JSONL_SUFFIXES + CSV_SUFFIXES + PARQUET_SUFFIXES)
            raise ChronolexError.single("event-format", f"cannot tell the format of {path.name!r} from its name",
                                        Span(str(path), 1, 1), f"name event files {known}")
    if parquet:
        return _ordered(read_parquet_columns(bundle, parquet), bundle, lambda rows: _parquet_keys(rows))
    columns = read_text_columns(bundle, files)
    if columns is None:
        return _exact(bundle, files, skip_bad)
    table = _ordered(columns.table, bundle, lambda rows: _text_keys(rows, columns.paths, bundle))
    return table


def _exact(bundle: Bundle, files: Sequence[Path], skip_bad: bool) -> pa.Table:
    """The per-account reader's events as the table; it raises, with file and line, what it refuses."""
    source = open_source(files, bundle.timezone, catalog=bundle.events, skip_bad=skip_bad)
    table = table_of_histories(bundle, (source.history(a) for a in source.accounts()), str(files[0]))
    if source.skipped is None:
        return table
    problems = [{"code": d.code, "message": d.message, "help": d.help,
                 "span": [d.span.file, d.span.line, d.span.column] if d.span else None}
                for d in source.skipped.problems]
    note = json.dumps({"count": source.skipped.count, "problems": problems}, ensure_ascii=False)
    return table.replace_schema_metadata({_SKIPPED: note})


#: The schema metadata key under which a table read with ``skip_bad`` records what it left out.
_SKIPPED = "chronolex.skipped"


def skipped_records(table: pa.Table) -> SkippedRecords | None:
    """The bad records :func:`read_event_table` left out of ``table`` (``skip_bad=True``), or None.

    >>> skipped_records(pa.table({"account": ["a"]})) is None
    True
    """
    metadata = table.schema.metadata or {}
    note = metadata.get(_SKIPPED.encode())
    if note is None:
        return None
    loaded = json.loads(note)
    problems = tuple(Diagnostic(p["code"], Severity.ERROR, p["message"], Span(*p["span"]) if p["span"] else None,
                                p["help"]) for p in loaded["problems"])
    return SkippedRecords(int(loaded["count"]), problems)


def _from_store(bundle: Bundle, db: Path) -> pa.Table:
    if not db.is_file():
        raise ChronolexError.single("io-error", f"{db}: no such event store", Span(str(db), 1, 1),
                                    "create it with 'chronolex ingest'")
    with EventStore(db) as store:
        assert bundle.events is not None
        source = CheckedSource(store, bundle.events, bundle.timezone, str(db))
        return table_of_histories(bundle, (source.history(a) for a in source.accounts()), str(db))


# -- duplicates and order ------------------------------------------------------------------------


def _ordered(rows: pa.Table, bundle: Bundle, tie_keys: _TieKeys) -> pa.Table:
    """``rows`` (in read order, with ``file`` and ``row``) without duplicates, sorted, numbered.

    The same id twice: the first read is kept. Rows without an id that tie on (account, at,
    recorded_at, type) get a key from ``tie_keys`` (content key, or the file's seq): equal
    keys are one event (the first kept), and the key orders the rest."""
    if "seq" in rows.column_names and _in_layout_order(rows):
        return _numbered(rows, bundle)  # a file convert wrote: nothing to merge or move
    rows = rows.append_column("_order", pa.array(range(rows.num_rows), pa.int64()))
    with_id = rows.filter(pc.is_valid(rows["id"]))
    if with_id.num_rows:
        first = with_id.group_by("id", use_threads=False).aggregate([("_order", "min")])["_order_min"]
        rows = rows.filter(pc.or_(pc.is_null(rows["id"]), pc.is_in(rows["_order"], first)))
    without_id = rows.filter(pc.is_null(rows["id"]))
    groups = without_id.group_by(["account", "at", "recorded_at", "type"], use_threads=False).aggregate(
        [("_order", "count"), ("_order", "list")])
    groups = groups.filter(pc.greater(groups["_order_count"], 1))
    tied = [order for orders in groups["_order_list"].to_pylist() for order in orders]
    keys: dict[int, str] = {}
    if tied:
        subset = rows.filter(pc.is_in(rows["_order"], pa.array(tied, pa.int64())))
        keys = dict(zip(subset["_order"].to_pylist(), tie_keys(subset)))
        drop = _duplicates(subset, keys)
        if drop:
            rows = rows.filter(pc.invert(pc.is_in(rows["_order"], pa.array(sorted(drop), pa.int64()))))
    # Accounts and types as their ranks among the distinct values: the same order as the
    # strings, and an integer sort is twice as fast as one that compares a million strings.
    order_by = ["_account", "at", "recorded_at", "_type", "_id"]
    rows = (rows.append_column("_account", _ranks(rows["account"])).append_column("_type", _ranks(rows["type"]))
            .append_column("_id", pc.fill_null(rows["id"], "")))
    if keys:  # the key of each tied row, "" for the others
        orders = pa.array(list(keys), pa.int64())
        tie = pc.take(pa.array(list(keys.values()), pa.string()), pc.index_in(rows["_order"], orders))
        rows = rows.append_column("_tie", pc.fill_null(tie, ""))
        order_by.append("_tie")
    rows = rows.sort_by([(name, "ascending") for name in order_by])
    return _numbered(rows, bundle)


def _ranks(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """Each value's position among the distinct values sorted (code point order, as Python's)."""
    distinct = pc.unique(values)
    return pc.index_in(values, distinct.take(pc.sort_indices(distinct)))


def _numbered(rows: pa.Table, bundle: Bundle) -> pa.Table:
    """The layout's columns of ``rows`` (sorted), ``seq`` counted within each account."""
    seq = _positions(rows["account"])
    layout = arrow_schema(bundle)
    columns = {name: (seq if name == "seq" else rows[name]) for name in layout.names}
    return pa.table(columns, schema=layout)


def _in_layout_order(rows: pa.Table) -> bool:
    """Whether every row has a ``seq``, no id is repeated, and the rows are already in strictly
    increasing (account, at, recorded_at, type, id, seq) order: then sorting would move nothing
    and no duplicate is to be dropped (a Parquet file in the layout, read alone)."""
    if rows.num_rows < 2:
        return rows.num_rows == 0 or bool(pc.all(pc.is_valid(rows["seq"])).as_py())
    if not pc.all(pc.is_valid(rows["seq"])).as_py():
        return False
    ids = rows["id"].drop_null()
    if pc.count_distinct(ids).as_py() != len(ids):
        return False
    before: pa.Array | None = None  # the rows that come before the next one on the keys so far
    same: pa.Array | None = None  # the rows equal to the next one on the keys so far
    for name in ("account", "at", "recorded_at", "type", "id", "seq"):
        column = pc.fill_null(rows[name], "") if name == "id" else rows[name]
        head, tail = column[:-1], column[1:]
        less, equal = pc.less(head, tail), pc.equal(head, tail)
        before = less if before is None or same is None else pc.or_(before, pc.and_(same, less))
        same = equal if same is None else pc.and_(same, equal)
    return bool(pc.all(before).as_py())


def _duplicates(subset: pa.Table, keys: dict[int, str]) -> set[int]:
    """The ``_order`` of every tied row whose content another row read earlier has."""
    seen: set[tuple[str, str]] = set()
    drop: set[int] = set()
    for order, account in sorted(zip(subset["_order"].to_pylist(), subset["account"].to_pylist())):
        key = (account, keys[order])
        if key in seen:
            drop.add(order)
        seen.add(key)
    return drop


def _positions(accounts: pa.ChunkedArray) -> pa.Array:
    """0, 1, 2, … within each run of equal accounts (the rows are sorted by account)."""
    count = len(accounts)
    if count == 0:
        return pa.array([], pa.int64())
    index = pa.array(range(count), pa.int64())
    changes = pc.not_equal(accounts[1:], accounts[:-1]).cast(pa.int64()) if count > 1 else pa.array([], pa.int64())
    starts = pa.concat_arrays([pa.array([1], pa.int64()), pa.concat_arrays(pa.chunked_array(changes, pa.int64()).chunks)
                               if len(changes) else pa.array([], pa.int64())])
    run = pc.subtract(pc.cumulative_sum(starts), 1)  # which run of equal accounts each row is in
    first = index.filter(pc.equal(starts, 1))  # the row each run starts at
    return pc.subtract(index, pc.take(first, run))




def _text_keys(rows: pa.Table, paths: tuple[Path, ...], bundle: Bundle) -> list[str]:
    """The content key of each row, as the per-account reader computes it from the record."""
    wanted: dict[int, list[int]] = {}
    for file, row in zip(rows["file"].to_pylist(), rows["row"].to_pylist()):
        wanted.setdefault(file, []).append(row)
    records = {(file, row): record for file, numbers in wanted.items()
               for row, record in _records(paths[file], set(numbers))}
    keys = []
    for account, at, recorded, type_, file, row in zip(*(rows[c].to_pylist() for c in (
            "account", "at", "recorded_at", "type", "file", "row"))):
        record = records[(file, row)]
        fields = {k: v for k, v in record.items() if k not in RESERVED_KEYS}
        keys.append(content_key(account, encode_instant(at), type_, encode_instant(recorded), fields))
    return keys


def _records(path: Path, rows: set[int]) -> Iterable[tuple[int, dict[str, object]]]:
    """The parsed records numbered ``rows`` (0-based among the file's records) of a checked file."""
    text = path.read_bytes().decode("utf-8-sig")
    lines = [line for line in text.split("\n") if line.strip()]
    if path.suffix.lower() in CSV_SUFFIXES:
        header = next(csv.reader([lines[0]]))
        for row in sorted(rows):
            cells = next(csv.reader([lines[row + 1].rstrip("\r")]))
            yield row, {k: (c if k in RESERVED_KEYS else _cell_value(c)) for k, c in zip(header, cells) if c != ""}
    else:
        for row in sorted(rows):
            yield row, json.loads(lines[row], parse_float=Decimal)


def _parquet_keys(rows: pa.Table) -> list[str]:
    """Tied rows of Parquet files: ordered by the file's seq where it has one, else by content."""
    if pc.all(pc.is_valid(rows["seq"])).as_py():
        return [f"{file:010d}:{seq:020d}" for file, seq in zip(rows["file"].to_pylist(), rows["seq"].to_pylist())]
    fields = [c for c in rows.column_names if c not in ("account", "at", "recorded_at", "type", "id", "seq", "file",
                                                         "row", "_order")]
    keys = []
    for record in rows.to_pylist():
        content = {name: _plain(record[name]) for name in fields if record[name] is not None}
        keys.append(content_key(record["account"], encode_instant(record["at"]), record["type"],
                                encode_instant(record["recorded_at"]), content))
    return keys


def _plain(value: object) -> object:
    """A typed Parquet value as the JSON scalar a text file would give for it."""
    if isinstance(value, (str, int, bool, Decimal)):
        return value
    if hasattr(value, "tzinfo"):
        return encode_instant(value)  # type: ignore[arg-type]
    return str(value)
