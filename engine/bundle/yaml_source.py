"""Safe, bounded YAML reading that remembers where every value came from.

PyYAML's safe loader forgets positions, keeps the last of two duplicate keys and will
happily expand an alias bomb. This module composes the YAML node graph itself, with
limits on size, nesting and alias expansion, and converts it to plain JSON-like data
(dicts, lists, str, int, float, bool, None) plus a :class:`SourceMap` from each JSON
path to the node it came from. Scalars are resolved as in YAML 1.2's core schema:
dates and times stay strings (the engine reads them in the bundle timezone), and only
``true``/``false`` are booleans (``no`` stays the string "no").
"""

from __future__ import annotations

import bisect
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from chronolex.errors import ChronolexError, Diagnostic, Severity, Span

Path = tuple[str | int, ...]

_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # what YAML counts as a line break

_TAG = "tag:yaml.org,2002:"
_ALLOWED_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")}
_MAX_INT_DIGITS = 100


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds that keep a hostile file from using unbounded time or memory."""

    max_bytes: int = 10 * 1024 * 1024
    max_depth: int = 64
    max_nodes: int = 250_000
    max_aliases: int = 10_000


DEFAULT_LIMITS = Limits()


class _Resolver(BaseResolver):
    """YAML 1.2 core schema resolution, without the YAML 1.1 timestamp and yes/no surprises."""


_PATTERNS: dict[str, re.Pattern[str]] = {}
for _tag, _pattern, _first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("int", r"^[-+]?[0-9]+$", "-+0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
):
    _PATTERNS[_TAG + _tag] = re.compile(_pattern)
    _Resolver.add_implicit_resolver(_TAG + _tag, _PATTERNS[_TAG + _tag], list(_first))


class _LimitExceeded(Exception):
    def __init__(self, message: str, node_mark: Any, help: str | None = None) -> None:
        super().__init__(message)
        self.mark = node_mark
        self.help = help


class _Bounded(Composer):
    """A composer with a depth bound and an alias counter; nothing is ever constructed from tags."""

    def _bound(self, limits: Limits) -> None:
        self._limits = limits
        self._depth = 0
        self._aliases = 0
        self._nodes = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(yaml.AliasEvent):  # type: ignore[attr-defined]
            self._aliases += 1
            if self._aliases > self._limits.max_aliases:
                raise _LimitExceeded(
                    f"more than {self._limits.max_aliases} aliases", self.peek_event().start_mark  # type: ignore[attr-defined]
                )
        self._depth += 1
        self._nodes += 1
        try:
            if self._nodes > self._limits.max_nodes:
                raise _LimitExceeded(
                    f"more than {self._limits.max_nodes} values in one file", self.peek_event().start_mark,  # type: ignore[attr-defined]
                    "split the file, or raise the limit if the bundle really is this large",
                )
            if self._depth > self._limits.max_depth:
                raise _LimitExceeded(
                    f"nesting deeper than {self._limits.max_depth} levels", self.peek_event().start_mark  # type: ignore[attr-defined]
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _PyLoader(Reader, Scanner, Parser, _Bounded, SafeConstructor, _Resolver):
    """Pure-Python scanning and parsing (used when PyYAML was built without libyaml)."""

    def __init__(self, text: str, limits: Limits) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        _Resolver.__init__(self)
        self._bound(limits)


try:  # libyaml scans and parses in C; composing (with the bounds) stays in Python
    from yaml._yaml import CParser

    class _CLoader(CParser, _Bounded, SafeConstructor, _Resolver):
        def __init__(self, text: str, limits: Limits) -> None:
            CParser.__init__(self, text)
            Composer.__init__(self)
            SafeConstructor.__init__(self)
            _Resolver.__init__(self)
            self._bound(limits)

    _FAST_LOADER: type | None = _CLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    _FAST_LOADER = None


def _make_loader(text: str, limits: Limits, fast: bool) -> _Bounded:
    cls = _FAST_LOADER if fast and _FAST_LOADER is not None else _PyLoader
    loader: _Bounded = cls(text, limits)
    return loader


class SourceMap:
    """Where each value of a document came from: JSON path -> YAML node (and the key's node)."""

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.text = text
        self._values: dict[Path, Node] = {}
        self._keys: dict[Path, Node] = {}
        self._line_starts: list[int] | None = None

    def _record(self, path: Path, node: Node, key: Node | None) -> None:
        self._values.setdefault(path, node)
        if key is not None:
            self._keys.setdefault(path, key)

    def has(self, path: Path) -> bool:
        return path in self._values

    def node(self, path: Path) -> Node | None:
        return self._values.get(path)

    def span(self, path: Path = (), *, key: bool = False) -> Span:
        """Span of the value at ``path`` (or of its key), or of the nearest enclosing value."""
        p = tuple(path)
        if key and p in self._keys:
            return self._node_span(self._keys[p])
        while p and p not in self._values:
            p = p[:-1]
        node = self._values.get(p)
        if node is None:
            return Span(self.file, 1, 1)
        return self._node_span(node)

    def _node_span(self, node: Node) -> Span:
        s, e = node.start_mark, node.end_mark
        end_line, end_col = e.line + 1, max(e.column, 1)
        if e.column == 0 and e.line > s.line:  # block nodes end at the start of the next line
            end_line, end_col = e.line, max(len(self.line(e.line)), 1)
        if end_line < s.line + 1 or (end_line == s.line + 1 and end_col < s.column + 1):
            end_line, end_col = s.line + 1, s.column + 1  # an empty value: a point
        return Span(self.file, s.line + 1, s.column + 1, end_line, end_col)

    def line(self, number: int) -> str:
        """The text of 1-based line ``number`` (without its line end), '' if out of range."""
        starts = self._starts()
        if not 1 <= number <= len(starts):
            return ""
        start = starts[number - 1]
        end = starts[number] if number < len(starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n\x85\u2028\u2029")

    def _starts(self) -> list[int]:
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in _LINE_BREAK.finditer(self.text)]
        return self._line_starts

    def _position(self, index: int) -> tuple[int, int]:
        starts = self._starts()
        row = bisect.bisect_right(starts, index) - 1
        return row + 1, index - starts[row] + 1

    def locate(self, path: Path, start: int, end: int | None = None) -> Span:
        """Span of characters ``start:end`` *inside* the string value at ``path``.

        Lines up the parsed string with its source text character by character, so a
        position inside a condition is right for plain, quoted, folded and literal
        scalars alike (whitespace may differ; every other character is matched in order).
        """
        node = self._values.get(tuple(path))
        if not isinstance(node, ScalarNode) or not isinstance(node.value, str):
            return self.span(path)
        first = self._align(node, start)
        if first is None:
            return self.span(path)
        last = self._align(node, max(start, (end if end is not None else start + 1) - 1)) or first
        line, col = self._position(first)
        end_line, end_col = self._position(last)
        return Span(self.file, line, col, end_line, end_col)

    def _align(self, node: ScalarNode, offset: int) -> int | None:
        value: str = node.value
        src, stop = node.start_mark.index, node.end_mark.index
        if node.style in ("|", ">"):
            src = self.text.find("\n", src, stop) + 1
        elif node.style in ('"', "'"):
            src += 1
        offset = min(max(offset, 0), len(value))
        for i in range(offset + 1):
            if i == len(value):
                return min(src, stop)
            ch = value[i]
            if ch.isspace():
                if i == offset:
                    return min(src, stop)
                continue
            j = self.text.find(ch, src, stop)
            if j < 0:
                return None
            if i == offset:
                return j
            src = j + 1
        return None


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed YAML file: plain data and the map back to the source."""

    data: Any
    source: SourceMap


def read_yaml(file: str, raw: bytes, limits: Limits = DEFAULT_LIMITS, *, fast: bool = True) -> Document:
    """Parse ``raw`` (the bytes of ``file``) safely, or raise :class:`ChronolexError`.

    ``fast`` uses libyaml's C parser when PyYAML has it (the result is the same; only
    the speed differs).

    >>> read_yaml("x.yaml", b"a: 1\\nb: [true, no]\\n").data
    {'a': 1, 'b': [True, 'no']}
    """
    if len(raw) > limits.max_bytes:
        raise ChronolexError.single(
            "file-too-large",
            f"file is {len(raw)} bytes, more than the limit of {limits.max_bytes}",
            Span(file, 1, 1),
        )
    text = _decode(file, raw)
    source = SourceMap(file, text)
    loader: _Bounded | None = None
    try:
        loader = _make_loader(text, limits, fast)
        node = Composer.get_single_node(loader)
    except _LimitExceeded as exc:
        raise ChronolexError.single("yaml-limit", str(exc), _mark_span(file, exc.mark), exc.help) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = _yaml_message(exc)
        help = "check the indentation: items of one mapping or list start in the same column" if (
            "expected <block end>" in message or "mapping values are not allowed" in message
        ) else None
        if _is_tab(source, mark):  # libyaml does not say which character it could not read
            help = "YAML does not allow tabs for indentation; indent with spaces"
        code = "yaml-syntax"
        if "maximum nesting depth" in message:  # libyaml's own bound (1000) is reached before ours
            code, message = "yaml-limit", f"nesting deeper than {limits.max_depth} levels"
        raise ChronolexError.single(code, message, _mark_span(file, mark, source), help) from None
    except yaml.reader.ReaderError as exc:
        line, column = SourceMap(file, text)._position(min(exc.position, len(text)))
        raise ChronolexError.single(
            "yaml-syntax", f"character {exc.character!r} is not allowed in YAML", Span(file, line, column)
        ) from None
    except yaml.YAMLError as exc:
        raise ChronolexError.single("yaml-syntax", str(exc).splitlines()[0], Span(file, 1, 1)) from None
    finally:
        if loader is not None:
            loader.dispose()  # type: ignore[attr-defined]
    if node is None:
        return Document(None, source)
    _check_expansion(file, node, limits)
    diagnostics: list[Diagnostic] = []
    data = _convert(node, (), None, source, diagnostics)
    if diagnostics:
        raise ChronolexError(diagnostics)
    return Document(data, source)


def _is_tab(source: SourceMap, mark: Any) -> bool:
    """Whether the character a syntax error points at is a tab."""
    if mark is None:
        return False
    line = source.line(mark.line + 1)
    return 0 <= mark.column < len(line) and line[mark.column] == "\t"


def _yaml_message(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's context and problem as one sentence ("found duplicate anchor 'a'; first occurrence ... ")."""
    parts = [p for p in (exc.context, exc.problem) if p]
    if exc.context and exc.context_mark is not None and exc.problem_mark is not None and (
        exc.context_mark.line != exc.problem_mark.line
    ):
        parts[0] = f"{exc.context} (line {exc.context_mark.line + 1})"
    return ", ".join(parts) or "invalid YAML"


def _decode(file: str, raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        raise ChronolexError.single(
            "encoding",
            f"invalid UTF-8 (byte 0x{raw[exc.start]:02x})",
            Span(file, line, column),
            "save the file as UTF-8",
        ) from None


def _mark_span(file: str, mark: Any, source: SourceMap | None = None) -> Span:
    if mark is None:
        return Span(file, 1, 1)
    line, column = mark.line + 1, mark.column + 1
    if source is not None:
        last = len(source._starts())
        if line > last:  # the end of the stream, after a last line without a line break
            line, column = last, len(source.line(last)) + 1
    return Span(file, line, column)


def _check_expansion(file: str, root: Node, limits: Limits) -> None:
    """Refuse a document whose aliases would expand past the node limit, in time linear in its graph."""
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    first_over: list[Node] = []

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in visiting:
            raise ChronolexError.single(
                "yaml-limit", "an alias refers to a node that contains it", _mark_span(file, node.start_mark)
            )
        visiting.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            total += sum(size(child) for child in node.value)
        elif isinstance(node, MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        visiting.discard(key)
        sizes[key] = min(total, limits.max_nodes + 1)
        if sizes[key] > limits.max_nodes and not first_over:
            first_over.append(node)
        return sizes[key]

    if size(root) > limits.max_nodes:
        culprit = first_over[0] if first_over else root
        raise ChronolexError.single(
            "yaml-limit",
            f"aliases expand this node past {limits.max_nodes} values (an alias bomb?)",
            _mark_span(file, culprit.start_mark),
            "do not nest aliases; write the values out",
        )


def _error(out: list[Diagnostic], code: str, message: str, span: Span, help: str | None = None) -> None:
    out.append(Diagnostic(code, Severity.ERROR, message, span, help))


def _convert(node: Node, path: Path, key: Node | None, source: SourceMap, out: list[Diagnostic]) -> Any:
    source._record(path, node, key)
    if node.tag not in _ALLOWED_TAGS:
        _error(out, "yaml-tag", f"YAML tag {node.tag!r} is not allowed", source._node_span(node), "remove the tag")
        return None
    expected = "map" if isinstance(node, MappingNode) else "seq" if isinstance(node, SequenceNode) else "scalar"
    if (node.tag == _TAG + "map") != (expected == "map") or (node.tag == _TAG + "seq") != (expected == "seq"):
        _error(out, "yaml-tag", f"tag {node.tag!r} does not fit a {expected} value", source._node_span(node),
               "remove the tag")
        return None
    if isinstance(node, MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            name = _key(key_node, source, out)
            if name is None:
                continue
            if name in result:
                _error(
                    out,
                    "duplicate-key",
                    f"duplicate key {name!r} in this mapping",
                    source._node_span(key_node),
                    "YAML would silently keep only the last value; remove or rename one",
                )
                continue
            result[name] = _convert(value_node, (*path, name), key_node, source, out)
        return result
    if isinstance(node, SequenceNode):
        return [_convert(child, (*path, i), None, source, out) for i, child in enumerate(node.value)]
    return _scalar(node, source, out)


def _key(node: Node, source: SourceMap, out: list[Diagnostic]) -> str | None:
    if not isinstance(node, ScalarNode):
        _error(out, "yaml-key", "a mapping key must be a plain string", source._node_span(node))
        return None
    if node.tag == _TAG + "null" and not node.style:
        what = "empty" if node.value == "" else f"null ({node.value!r})"
        _error(out, "yaml-key", f"a mapping key must be a string, not {what}", source._node_span(node),
               f"quote it: '{node.value}':" if node.value else None)
        return None
    if node.value == "<<" and not node.style:
        _error(out, "yaml-key", "merge keys ('<<') are not supported", source._node_span(node), "write the fields out")
        return None
    return str(node.value)


def _scalar(node: Node, source: SourceMap, out: list[Diagnostic]) -> Any:
    text: str = node.value
    tag = node.tag
    if tag == _TAG + "str" or tag == _TAG + "timestamp":
        return text
    span = source._node_span(node)
    if not _PATTERNS[tag].match(text):
        _error(out, "yaml-tag", f"{text!r} is not a valid !!{tag[len(_TAG):]}", span, "remove the tag or fix the value")
        return None
    if tag == _TAG + "null":
        return None
    if tag == _TAG + "bool":
        return text.lower() == "true"
    if tag == _TAG + "int":
        digits = text.lstrip("+-")
        if len(digits) > _MAX_INT_DIGITS:
            _error(out, "yaml-limit", f"integer with {len(digits)} digits (limit {_MAX_INT_DIGITS})", span)
            return None
        try:
            return int(text)
        except ValueError:
            _error(out, "yaml-syntax", f"{text!r} is not an integer", span)
            return None
    if tag == _TAG + "float":
        try:
            number = float(text.replace(".inf", "inf").replace(".Inf", "inf").replace(".INF", "inf"))
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            if "n" in text.lower():  # .nan, .inf: written as such
                _error(out, "non-finite", f"{text!r}: NaN and infinity are not allowed", span, "write a finite number")
            else:  # digits beyond a double's range: do not echo thousands of them
                shown = text if len(text) <= 24 else text[:20] + "…"
                _error(out, "non-finite", f"the number {shown} is out of range (numbers must be finite)", span,
                       "write a finite number")
            return None
        return number
    return text


def iter_paths(data: Any, path: Path = ()) -> Iterator[Path]:
    """Every JSON path in ``data``, parents before children (used by tests and tools)."""
    yield path
    if isinstance(data, dict):
        for k, v in data.items():
            yield from iter_paths(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from iter_paths(v, (*path, i))
