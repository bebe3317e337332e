"""Reading account events from JSON Lines and CSV files (docs/reference/events.md).

This module owns the file formats of event histories: it turns each record into an
:class:`~chronolex.events.event.Event`, checks it against ``schemas/event.schema.json`` and
reports every bad record with its file and physical line, so a user fixes a file in
one pass instead of one error per run. Files are read line by line (never held in
memory as text next to the events they become), and nothing here touches the store.

Typing rules, the same for both formats where they can be:

- JSON Lines: one object a line; blank lines are skipped. Integers stay ``int``; a
  number with a fraction or an exponent becomes a :class:`~decimal.Decimal` built
  from its exact text (money must be exact: ``0.10`` stays ``Decimal("0.10")``,
  never the float nearest to it). ``NaN`` and ``Infinity`` are refused (they are not
  JSON), and so is a key repeated within one object (JSON keeps the last silently).
- CSV: a header row names the keys, and must name ``account``, ``at`` and ``type``
  (a header without one of them is one error, not one per row; a header that
  cannot be read stops that file). An empty cell means the key is absent. Other
  cells are typed as the same text would be as a JSON scalar: ``true``/``false`` are
  booleans, a JSON integer (``42``, ``-7``; not ``007`` or ``+7``) is an ``int``, a
  JSON number with a fraction or exponent (``12.50``, ``1e3``) is a ``Decimal``, and
  everything else, ``null`` and ``007`` included, stays a string. The reserved keys
  (``account``, ``at``, ``type``, ``recorded_at``, ``id``) always stay strings.

Both: a UTF-8 byte order mark and CRLF line ends are tolerated; ``at`` and
``recorded_at`` are read with :func:`~chronolex.instants.parse_recorded_instant` in the
zone the caller gives (no offset: wall time there, refused in a DST gap, since a recorded
time there has lost its offset); ``recorded_at`` defaults to ``at``; every
other key is a field of the event. Each event's ``origin`` is its file and line.

Every problem is a diagnostic with the file, the physical line and the column of
the key or cell at fault (column 1 when the record as a whole is), and at most
:data:`MAX_REPORTED` are listed, one more diagnostic counting the rest.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from jsonschema.exceptions import ValidationError

from chronolex.bundle.schemas import JSON_WORDS, value_kind
from chronolex.errors import MAX_REPORTED, TOO_MANY, ChronolexError, Diagnostic, Severity, Span, clip
from chronolex.events.catalog import Catalog, catalog_problems, plainly_fits
from chronolex.events.event import RESERVED_KEYS, Event, MemorySource, SkippedRecords
from chronolex.events.encoding import freeze_fields
from chronolex.events.precheck import plainly_valid
from chronolex.bundle.schemas import validator
from chronolex.events.store import event_key
from chronolex.instants import SkippedWallTime, parse_recorded_instant

__all__ = [
    "JSONL_SUFFIXES",
    "CSV_SUFFIXES",
    "MAX_REPORTED",
    "open_source",
    "read_csv",
    "read_events",
    "read_event_files",
    "read_jsonl",
]

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
CSV_SUFFIXES = (".csv",)


_BOM = b"\xef\xbb\xbf"
_INSTANT_KEYS = ("at", "recorded_at")
_JSON_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_BOOLEANS = {"true": True, "false": False}
# A JSON string token, and whether it is an object key: used to find columns.
_TOKENS = re.compile(r'("(?:[^"\\]|\\.)*")(\s*:)?')


# -- collecting problems ----------------------------------------------------------------


class _Problems:
    """Every problem found so far, the first :data:`MAX_REPORTED` kept as diagnostics.

    One collector spans all files of a call, so the cap and the count of what was
    left out are for the whole call.
    """

    def __init__(self, cap: int = MAX_REPORTED) -> None:
        self.cap = cap
        self.kept: list[Diagnostic] = []
        self.dropped = 0
        self.first_dropped: Span | None = None
        #: Whether some problem stops a whole file (it cannot be read, or its CSV header
        #: cannot): such a file is never skipped, even when bad records may be.
        self.fatal = False
        #: The (file, line) of every bad record, each counted once however many problems it has.
        self.records: set[tuple[str, int]] = set()

    def add(self, code: str, message: str, span: Span | None, help: str | None = None, *,
            fatal: bool = False) -> None:
        if fatal:
            self.fatal = True
        elif span is not None:
            self.records.add((span.file, span.line))
        if len(self.kept) < self.cap:
            self.kept.append(Diagnostic(code, Severity.ERROR, message, span, help))
            return
        self.dropped += 1
        if self.first_dropped is None:
            self.first_dropped = span

    def __bool__(self) -> bool:
        return bool(self.kept)

    def extend(self, error: ChronolexError) -> None:
        for diagnostic in error.diagnostics:
            self.add(diagnostic.code, diagnostic.message, diagnostic.span, diagnostic.help, fatal=True)

    def raise_if_any(self) -> None:
        if not self.kept:
            return
        raise ChronolexError(self.listed(), omitted=self.dropped)

    def listed(self) -> list[Diagnostic]:
        """The problems kept, and one more counting those left out."""
        diagnostics = list(self.kept)
        if self.dropped:
            # Positioned at the first problem left out, so that it sorts after the ones shown;
            # when files were not read in name order, at the last one shown instead, for the
            # same reason (diagnostics are sorted by file name, and its code sorts last).
            where = self.first_dropped
            last_kept = max((d.span for d in self.kept if d.span), key=_span_order, default=None)
            if last_kept is not None and (where is None or _span_order(where) < _span_order(last_kept)):
                where = last_kept
            diagnostics.append(Diagnostic(
                TOO_MANY, Severity.ERROR,
                f"{self.dropped} more problems not listed (only the first {self.cap} are)",
                where, "fix these and read the files again to see the rest",
            ))
        return diagnostics


def _span_order(span: Span) -> tuple[str, int, int]:
    return (span.file, span.line, span.column)


# -- reading lines ----------------------------------------------------------------------


def _open(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except OSError as exc:
        raise ChronolexError.single(
            "io-error", f"cannot read {path}: {exc.strerror or exc}", Span(str(path), 1, 1)
        ) from None


def _lines(handle: IO[bytes], file: str, problems: _Problems, bad: set[int]) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` for each physical line, line end kept, BOM dropped.

    A line that is not UTF-8 is reported (code ``encoding``), added to ``bad`` and
    still yielded, decoded with replacement characters, so that a CSV reader keeps
    its place; the record it belongs to is then skipped.
    """
    for number, raw in enumerate(handle, start=1):
        if number == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM):]
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            column = len(raw[: exc.start].decode("utf-8", "replace")) + 1
            problems.add(
                "encoding", f"invalid UTF-8 (byte 0x{raw[exc.start]:02x})", Span(file, number, column),
                "save the file as UTF-8",
            )
            bad.add(number)
            yield number, raw.decode("utf-8", "replace")


# -- JSON Lines ---------------------------------------------------------------------------


class _RecordError(ValueError):
    """A JSON text that parses but that an event file refuses (NaN, a repeated key)."""

    def __init__(self, message: str, token: str | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.token = token
        self.key = key


def _refuse_constant(name: str) -> Any:
    raise _RecordError(f"{name} is not a number in JSON; numbers must be finite", name)


def _decimal(text: str) -> Decimal:
    """A JSON number with a fraction or an exponent, exactly; an exponent beyond any range is refused."""
    try:
        return Decimal(text)
    except ArithmeticError:  # Decimal's exponent limit (about 10**18), far past a double's
        raise _RecordError(f"the number {_shorten(text)} is out of range (numbers must be finite)", text) from None


#: An integer with more digits than this is beyond the range a field may hold (about 1.8e308) anyway;
#: refusing it before converting keeps Python's own digit limit and its advice out of the message.
_MAX_INT_DIGITS = 400


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_INT_DIGITS:
        raise _RecordError(f"the number {_shorten(text)} is out of range (numbers must be finite)", text)
    return int(text)


def _shorten(text: str) -> str:
    """A number as written, cut short so that a message stays one readable line."""
    return text if len(text) <= 24 else text[:20] + "…"


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)  # in C; only a record that lost a key to a repeat is walked to name it
    if len(result) == len(pairs):
        return result
    result = {}
    for key, value in pairs:
        if key in result:
            raise _RecordError(f"key {key!r} appears twice in one record", key=key)
        result[key] = value
    return result


_DECODER = json.JSONDecoder(
    parse_float=_decimal, parse_int=_integer, parse_constant=_refuse_constant, object_pairs_hook=_refuse_duplicates
)


#: The JSON reader of event records (and of the service's request bodies): numbers with a
#: fraction stay exact decimals, NaN and Infinity are refused, and so is a repeated key.
JSON_DECODER = _DECODER

#: What :data:`JSON_DECODER` raises for a text that parses but is refused (a ValueError).
RefusedJSON = _RecordError


def _parse_json_line(text: str) -> Any:
    value, end = _DECODER.raw_decode(text, _skip_space(text, 0))
    if _skip_space(text, end) != len(text):
        raise json.JSONDecodeError("extra data after the record (one record a line)", text, _skip_space(text, end))
    return value


_SPACE = re.compile(r"[ \t\r\n]*")  # JSON's whitespace


def _skip_space(text: str, index: int) -> int:
    match = _SPACE.match(text, index)
    return match.end() if match is not None else index


def _token_column(text: str, token: str) -> int:
    """Column of the first ``token`` (a constant, a number) outside JSON strings (1 if not found)."""
    position = 0
    for match in _TOKENS.finditer(text):
        found = text.find(token, position, match.start())
        if found >= 0:
            return found + 1
        position = match.end()
    found = text.find(token, position)
    return found + 1 if found >= 0 else 1


def _key_column(text: str, key: str, occurrence: int = 1) -> int:
    """Column of the ``occurrence``-th object key ``key`` in a JSON line (1 if not found)."""
    seen = 0
    for match in _TOKENS.finditer(text):
        if match.group(2) is not None:
            try:
                if json.loads(match.group(1)) == key:
                    seen += 1
                    if seen == occurrence:
                        return match.start(1) + 1
            except ValueError:
                continue
    return 1


def read_jsonl(path: str | Path, zone: tzinfo) -> list[Event]:
    """The events of a JSON Lines file, in file order; raise :class:`ChronolexError` if any record is bad.

    >>> import tempfile, os, zoneinfo
    >>> with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
    ...     _ = f.write('{"account": "a", "at": "2026-03-01", "type": "kyc_verified", "fee": 1.50}\\n')
    >>> [event] = read_jsonl(f.name, zoneinfo.ZoneInfo("Asia/Shanghai")); os.unlink(f.name)
    >>> event.at.isoformat(), dict(event.fields)
    ('2026-02-28T16:00:00+00:00', {'fee': Decimal('1.50')})
    """
    return _read_all(_jsonl_events, path, zone)


def _read_all(records: _Reader, path: str | Path, zone: tzinfo) -> list[Event]:
    """Every event ``records`` reads from ``path``; one error for all bad records."""
    problems = _Problems()
    events = list(records(Path(path), zone, None, problems))
    problems.raise_if_any()
    return events


def _jsonl_events(path: Path, zone: tzinfo, catalog: Catalog | None, problems: _Problems) -> Iterator[Event]:
    file = str(path)
    bad: set[int] = set()
    with _open(path) as handle:
        for number, line in _lines(handle, file, problems, bad):
            if number in bad or not line.strip():
                continue
            text = line.rstrip("\r\n")
            try:
                record = _parse_json_line(text)
            except json.JSONDecodeError as exc:
                problems.add("event-syntax", f"not JSON: {exc.msg}", Span(file, number, exc.colno),
                             _array_hint(text))
                continue
            except _RecordError as exc:
                column = (_token_column(text, exc.token) if exc.token
                          else _key_column(text, exc.key, 2) if exc.key is not None else 1)
                problems.add("event-syntax", str(exc), Span(file, number, column))
                continue
            except RecursionError:  # absurd nesting; a record is one flat object anyway
                problems.add("event-syntax", "not a readable JSON record: nested too deeply",
                             Span(file, number, 1), "an event is one flat JSON object of scalar fields")
                continue
            except ValueError as exc:
                problems.add("event-syntax", f"not a readable JSON record: {_first_line(exc)}", Span(file, number, 1))
                continue
            event = _event(record, file, number, zone, catalog, problems, lambda key: _key_column(text, key),
                           "\\u" in text)
            if event is not None:
                yield event


def _array_hint(text: str) -> str | None:
    if text.lstrip().startswith("["):
        return _ARRAY_HINT
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]


# -- CSV ----------------------------------------------------------------------------------


def _cell_value(text: str) -> object:
    """A CSV cell as the JSON scalar it spells (true/false, integer, decimal), else the string itself."""
    if text in _BOOLEANS:
        return _BOOLEANS[text]
    if _JSON_INT.fullmatch(text):
        try:
            return int(text)
        except ValueError:  # more digits than Python converts; the text is kept
            return text
    if _JSON_NUMBER.fullmatch(text):
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern only admits valid decimals
            return text
    return text


def read_csv(path: str | Path, zone: tzinfo) -> list[Event]:
    """The events of a CSV file with a header row, in file order; raise :class:`ChronolexError` if any row is bad.

    >>> import tempfile, os, zoneinfo
    >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
    ...     _ = f.write("account,at,type,score,note\\na,2026-03-01T09:00+08:00,credit_score_updated,701,\\n")
    >>> [event] = read_csv(f.name, zoneinfo.ZoneInfo("UTC")); os.unlink(f.name)
    >>> dict(event.fields)
    {'score': 701}
    """
    return _read_all(_csv_events, path, zone)


def _csv_events(path: Path, zone: tzinfo, catalog: Catalog | None, problems: _Problems) -> Iterator[Event]:
    file = str(path)
    bad: set[int] = set()
    with _open(path) as handle:
        pending: list[str] = []  # the physical lines of the record being read

        def feed() -> Iterator[str]:
            for _, text in _lines(handle, file, problems, bad):
                pending.append(text)
                yield text

        reader = csv.reader(feed(), strict=True)
        header: list[str] | None = None
        position: dict[str, int] = {}  # the index of each column of the header
        while True:
            start = reader.line_num + 1
            pending.clear()
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                problems.add("event-syntax", f"bad CSV: {_first_line(exc)}", Span(file, start, 1),
                             fatal=header is None)
                if header is None:  # without its header a file cannot be read
                    return
                continue
            if bad.intersection(range(start, reader.line_num + 1)):
                if header is None:  # the encoding problem is reported; the rows cannot be named
                    return
                continue
            if not row:
                continue
            columns = _cell_columns(pending[0] if pending else "")
            if header is None:
                header = row
                if not _check_header(header, columns, file, start, problems):
                    return
                position = {key: index for index, key in enumerate(header)}
                continue
            if len(row) != len(header):
                problems.add(
                    "event-syntax", f"row has {len(row)} cells, the header has {len(header)}",
                    Span(file, start, _nth(columns, len(header)) if len(row) > len(header) else 1),
                    "quote cells that contain a comma",
                )
                continue
            record = {
                key: (cell if key in RESERVED_KEYS else _cell_value(cell))
                for key, cell in zip(header, row) if cell != ""
            }
            event = _event(record, file, start, zone, catalog, problems, lambda key: _nth(columns, position.get(key)),
                           False)
            if event is not None:
                yield event


def _cell_columns(text: str) -> list[int]:
    """The 1-based column at which each cell of a CSV line starts (the cells of a record's first line).

    >>> _cell_columns('a,"b,c",d')
    [1, 3, 9]
    """
    columns = [1]
    state = "start"
    for index, char in enumerate(text):
        if char in "\r\n" and state != "quoted":
            break
        if state == "quoted":
            state = "quote" if char == '"' else "quoted"
        elif char == "," and state != "quoted":
            columns.append(index + 2)
            state = "start"
        elif state == "start" and char == '"':
            state = "quoted"
        elif state == "quote" and char == '"':
            state = "quoted"
        else:
            state = "field"
    return columns


def _nth(columns: list[int], index: int | None) -> int:
    return columns[index] if index is not None and index < len(columns) else 1


_REQUIRED_COLUMNS = ("account", "at", "type")


def _check_header(header: list[str], columns: list[int], file: str, line: int, problems: _Problems) -> bool:
    seen: set[str] = set()
    ok = True
    for index, name in enumerate(header):
        span = Span(file, line, _nth(columns, index))
        if not name.strip():
            problems.add("event-syntax", "a column of the header row has no name", span, fatal=True)
            ok = False
        elif name in seen:
            problems.add("event-syntax", f"column {name!r} appears twice in the header row", span, fatal=True)
            ok = False
        seen.add(name)
    missing = [name for name in _REQUIRED_COLUMNS if name not in seen]
    if missing:
        names = ", ".join(repr(name) for name in missing)
        problems.add(
            "event-schema", f"the header row has no {names} column{'s' if len(missing) > 1 else ''}",
            Span(file, line, 1),
            "the first row of an event CSV names the keys; account, at and type are required", fatal=True,
        )
        ok = False
    return ok


# -- one record -----------------------------------------------------------------------------


def _event(
    record: Any, file: str, line: int, zone: tzinfo, catalog: Catalog | None, problems: _Problems,
    column_of: Callable[[str], int], escaped: bool = True,
) -> Event | None:
    """The event a parsed record describes, or None after reporting why it is not one.

    ``escaped`` is False when the record's text holds no ``\\u`` escape: text decoded from
    UTF-8 holds no lone surrogate, so only an escape can put one in a string.
    """
    if not isinstance(record, dict):
        problems.add("event-schema", f"expected an object (one event a line), found {value_kind(record, JSON_WORDS)}",
                     Span(file, line, 1), _ARRAY_HINT if isinstance(record, list) else None)
        return None
    if not plainly_valid(record):  # then jsonschema decides, and words what is wrong
        found = False
        for error in sorted(validator("event").iter_errors(record), key=_error_order):
            code, message, key = _describe(error)
            problems.add(code, message, Span(file, line, column_of(key) if key else 1),
                         _INSTANT_HINT if code == "invalid-date" else None)
            found = True
        if found:
            return None
    if escaped and _has_lone_surrogate(record):
        problems.add("event-syntax", "a string holds an unpaired \\u surrogate escape (not Unicode text)",
                     Span(file, line, 1))
        return None
    instants: dict[str, datetime] = {}
    unreadable = False
    for key in _INSTANT_KEYS:
        if key in record:
            try:
                instants[key] = parse_recorded_instant(record[key], zone)
            except (ValueError, OverflowError) as exc:
                problems.add("invalid-date", f"field '{key}': {_first_line(exc)}",
                             Span(file, line, column_of(key)), None if isinstance(exc, SkippedWallTime) else _INSTANT_HINT)
                unreadable = True
    if unreadable:
        return None
    fields = {k: v for k, v in record.items() if k not in RESERVED_KEYS}
    if catalog is not None and not plainly_fits(record["type"], fields, catalog):
        misfits = list(catalog_problems(record["type"], fields, catalog, zone))
        for misfit in misfits:
            problems.add(misfit.code, misfit.message, Span(file, line, column_of(misfit.key)), misfit.help)
        if misfits:
            return None
    at = instants["at"]
    return Event(
        account=record["account"],
        at=at,
        type=record["type"],
        recorded_at=instants.get("recorded_at", at),
        fields=freeze_fields(fields),
        id=record.get("id"),
        origin=Span(file, line, 1),
    )


_ARRAY_HINT = "an event file holds one JSON object a line (JSON Lines), not a JSON array"
_INSTANT_HINT = "write an ISO 8601 date or date-time, e.g. 2026-03-01 or 2026-03-01T09:30:00+08:00"


def _error_order(error: ValidationError) -> tuple[str, str]:
    return (str(list(error.absolute_path)), error.message)


def _describe(error: ValidationError) -> tuple[str, str, str | None]:
    """(code, message naming the field, the field) for one schema error of a record."""
    path = list(error.absolute_path)
    key = str(path[0]) if path else None
    value = error.instance
    name = clip(key) if key is not None else None  # as shown: a hostile key or value may be megabytes long
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else "?"
        return "event-schema", f"missing required field '{missing}'", None
    if key is None:
        return "event-schema", clip(error.message, 200), None
    if key in _INSTANT_KEYS and isinstance(value, str):
        return "invalid-date", f"field '{name}': {clip(json.dumps(value, ensure_ascii=False))} is not an ISO 8601 date or date-time", key
    if error.validator == "type":
        expected = error.validator_value
        if key not in RESERVED_KEYS:
            expected_text = "a string, number, boolean or null (fields are scalars)"
        else:
            expected_text = " or ".join(expected) if isinstance(expected, list) else f"a {expected}"
        return "event-schema", f"field '{name}': expected {expected_text}, found {value_kind(value, JSON_WORDS)}", key
    if error.validator == "minLength":
        return "event-schema", f"field '{name}' must not be empty", key
    if error.validator == "pattern" and key == "type":
        return ("event-schema",
                f"field 'type': {clip(json.dumps(value, ensure_ascii=False))} is not an event type "
                "(lowercase letters, digits and '_', starting with a letter)", key)
    if error.validator in ("minimum", "maximum"):
        return "event-schema", f"field '{name}': {_shorten(str(value))} is out of range (numbers must be finite)", key
    return "event-schema", f"field '{name}': {clip(error.message, 200)}", key


def _has_lone_surrogate(record: Mapping[str, object]) -> bool:
    for key, value in record.items():
        for text in (key, value):
            if isinstance(text, str) and not text.isascii():  # ASCII text is UTF-8 text
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    return True
    return False


# -- files and sources ----------------------------------------------------------------------


_Reader = Callable[[Path, tzinfo, "Catalog | None", "_Problems"], Iterator[Event]]


def _reader(path: Path) -> _Reader:
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return _jsonl_events
    if suffix in CSV_SUFFIXES:
        return _csv_events
    known = ", ".join(JSONL_SUFFIXES + CSV_SUFFIXES)
    raise ChronolexError.single(
        "event-format", f"cannot tell the format of {path.name!r} from its name", Span(str(path), 1, 1),
        f"name event files {known} (JSON Lines for the .json names)",
    )


def read_events(path: str | Path, zone: tzinfo, *, catalog: Catalog | None = None) -> list[Event]:
    """The events of one file, its format chosen by suffix (.jsonl/.ndjson/.json: JSON Lines; .csv: CSV)."""
    return read_event_files([path], zone, catalog=catalog)


def read_event_files(paths: Iterable[str | Path], zone: tzinfo, *, catalog: Catalog | None = None) -> list[Event]:
    """The events of every file in order; every bad record of every file is reported in one error.

    With ``catalog`` (the bundle's event catalog), a record whose type or fields the catalog
    does not declare, or whose field value is not of its declared type, is a bad record too.

    Raises :class:`ChronolexError` (codes ``io-error``, ``event-format``, ``encoding``,
    ``event-syntax``, ``event-schema``, ``invalid-date``, ``unknown-event-type``,
    ``unknown-event-field``, ``bad-field-value``, ``too-many-errors``).
    """
    events, problems = _read(paths, zone, catalog)
    problems.raise_if_any()
    return events


def read_event_records(records: Iterable[Any], zone: tzinfo, *, catalog: Catalog | None = None,
                       label: str = "request") -> list[Event]:
    """The events of records already parsed from JSON (a service's request body), checked
    exactly as a JSON Lines file's records are: the event schema, the instants, and the
    bundle's event catalog when one is given. Every bad record is reported in one error,
    its span naming ``label`` and the record's number (from 1) as the line.

    Parse the text with :data:`JSON_DECODER` so numbers keep their exact value and a
    repeated key is refused, as in a file.
    """
    problems = _Problems()
    events = []
    for number, record in enumerate(records, start=1):
        event = _event(record, label, number, zone, catalog, problems, lambda key: 1)
        if event is not None:
            events.append(event)
    problems.raise_if_any()
    return events


def _read(paths: Iterable[str | Path], zone: tzinfo, catalog: Catalog | None) -> tuple[list[Event], _Problems]:
    problems = _Problems()
    events: list[Event] = []
    for raw in paths:
        path = Path(raw)
        try:
            events.extend(_reader(path)(path, zone, catalog, problems))
        except ChronolexError as error:  # a file that cannot be read at all: go on with the others
            problems.extend(error)
    return events, problems


def open_source(paths: Iterable[str | Path], zone: tzinfo, *, catalog: Catalog | None = None,
                skip_bad: bool = False) -> MemorySource:
    """An event source over the files ``paths``, one or many accounts per file.

    The same event twice (the same ``id``, or without ids the same content), in one
    file or in several, is counted once, exactly as the store counts it (the first
    one read is kept), so a file and the store it was ingested into give the same
    histories. Events that tie on time, type and id are in the order of their
    store keys, as the store gives them, and not in file order: the answer then
    does not depend on the order of the files or of their lines.

    A bad record is an error (:func:`read_event_files`) unless ``skip_bad``: then it is
    left out and counted in the source's ``skipped`` (with the first problems found), for
    the caller to report loudly. A file that cannot be read at all is an error either way.
    """
    events, problems = _read(paths, zone, catalog)
    if not skip_bad or problems.fatal:
        problems.raise_if_any()
    skipped = SkippedRecords(len(problems.records), tuple(problems.listed())) if problems else None
    unique: dict[str, Event] = {}
    for event in events:
        unique.setdefault(event_key(event), event)
    return MemorySource((event for _, event in sorted(unique.items(), key=lambda item: item[0])), skipped=skipped)
