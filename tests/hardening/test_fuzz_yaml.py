"""Fuzzing the YAML reader and the bundle loader with random and mutated policy files.

Three sources of bytes: arbitrary bytes, arbitrary Unicode text, and structured
mutations of the shipped files (lines deleted, duplicated, swapped or re-indented,
values replaced by hostile scalars, hostile lines inserted, the file cut short). The
reader is called directly, and whole bundles are checked with the mutated file as
2026.03's version file. For every input:

- only :class:`~chronolex.errors.ChronolexError` escapes the reader, and ``check_bundle``
  never raises for bad content;
- every finding in the mutated file lies inside it (a line it has, a column from 1);
- what reads is plain JSON data (dicts, lists, strings, integers, finite floats,
  booleans, null), and a bundle is returned exactly when there is no error;
- nothing runs and every call ends within the hang guard (see ``support``).
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import chronolex
from chronolex.errors import ChronolexError, Diagnostic, Severity
from chronolex.bundle.yaml_source import read_yaml
from tests.examples import examples
from tests.hardening.support import (
    REAL_MANIFEST,
    REAL_VERSION,
    VERSION_FILE,
    bounded,
    broken_bundle,
    nothing_runs,
)

READER = settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
# each loader example loads a whole bundle: 50 on every run, 400 at night
LOADER = settings(max_examples=examples(50, 400), suppress_health_check=[HealthCheck.too_slow])
_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")

HOSTILE_SCALARS = [
    ".nan", ".inf", "-.Inf", "1e999", "9" * 200, "-" + "9" * 150, "!!python/object/apply:os.system ['touch X']",
    "!!python/name:os.system", "!!binary aGk=", "!custom x", "&a x", "*a", "*undefined", "<<", "[", "]", "{", "}",
    "~", "null", "''", '""', "'unterminated", '"\\ud800"', '"\\x00"', "|", ">-", "- x", "? x", "\t", "a: b",
    "2026-02-30", "2026-13-01", "9999-01-01", "0999-12-31", "P999999Y", "PT0S", "FREQ=SECONDLY", "FREQ=MINUTELY",
    "FREQ=WEEKLY;INTERVAL=0", "Etc/Nowhere", "localtime", "(" * 150 + "kyc_verified" + ")" * 150,
    "__import__('os').system('touch X')", "credit_score.__class__", "not " * 120 + "kyc_verified",
    "[" * 80 + "]" * 80, "true", "no", "0x1F", "0o17", "1_000", "+1", "%YAML 1.1", "---", "...",
]
HOSTILE_LINES = [
    "%TAG ! tag:yaml.org,2002:python/", "--- !!python/object/apply:os.system ['touch X']", "<<: {a: 1}",
    "extends: \"2026.03\"", "remove: [REG-MINORS]", "rules: []", "  - id: REG-REAL-NAME", "\t- id: X",
    "version: \"2026.06\"", "x: &a [*a]", "? [a, b]\n: c", "\ufeffversion: x", "# comment", "",
]


def _lines(raw: bytes) -> int:
    """How many lines a finding may name: YAML's line breaks or the bytes' newlines, whichever count more."""
    text = raw.decode("utf-8", "replace")
    return max(len(_BREAKS.findall(text)), raw.count(b"\n")) + 1


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    lines = original.decode("utf-8").split("\n")
    for _ in range(draw(st.integers(1, 5))):
        if not lines:
            lines = [""]
        at = draw(st.integers(0, len(lines) - 1))
        edit = draw(st.sampled_from(["delete", "duplicate", "swap", "indent", "value", "insert", "cut", "bytes"]))
        if edit == "delete":
            del lines[at]
        elif edit == "duplicate":
            lines.insert(at, lines[at])
        elif edit == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif edit == "indent":
            shift = draw(st.sampled_from([-2, -1, 1, 2]))
            lines[at] = " " * shift + lines[at] if shift > 0 else lines[at][-shift:]
        elif edit == "value" and ": " in lines[at]:
            key, _, _ = lines[at].partition(": ")
            lines[at] = key + ": " + draw(st.sampled_from(HOSTILE_SCALARS))
        elif edit == "insert":
            lines.insert(at, draw(st.sampled_from(HOSTILE_LINES)))
        elif edit == "cut":
            lines = lines[: at + 1]
            lines[-1] = lines[-1][: draw(st.integers(0, len(lines[-1])))]
        elif edit == "bytes":
            column = draw(st.integers(0, len(lines[at])))
            junk = draw(st.text(max_size=4))
            lines[at] = lines[at][:column] + junk + lines[at][column:]
    raw = "\n".join(lines).encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        raw = raw.replace(b"\n", b"\r\n")
    if draw(st.booleans()):
        raw = b"\xef\xbb\xbf" + raw
    return raw


YAMLISH = st.lists(st.sampled_from(
    ["a", ":", " ", "\n", "  ", "- ", "[", "]", "{", "}", ",", "&x ", "*x", "!!str ", "!!python/object:os.system ",
     "'", '"', "#", "|", ">", "1", "true", "~", "? ", "\t", "<<", "%YAML 1.1\n---\n", "---\n", "\ufeff", "\r\n",
     ".nan", "9" * 120, "\\u", "\x85", "\u2028", "%TAG !e! tag:example.com,2000:\n---\n!e!x y"]),
    max_size=80).map(lambda parts: "".join(parts).encode("utf-8"))
RAW_INPUTS = st.one_of(
    st.binary(max_size=500),
    st.text(max_size=300).map(lambda text: text.encode("utf-8", "surrogatepass")),
    YAMLISH,
)


def _plain(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, (str, int, bool))


def _inside(diagnostics: tuple[Diagnostic, ...], file: str, raw: bytes) -> None:
    for d in diagnostics:
        if d.span is not None and d.span.file == file:
            assert 1 <= d.span.line <= _lines(raw), d
            assert d.span.column >= 1, d


def read(raw: bytes) -> None:
    note(repr(raw[:400]))
    with bounded(repr(raw[:60])), nothing_runs():
        try:
            document = read_yaml("policy.yaml", raw)
        except ChronolexError as error:
            assert error.diagnostics
            _inside(error.diagnostics, "policy.yaml", raw)
            assert all(d.span is not None and d.span.file == "policy.yaml" for d in error.diagnostics)
            return
    assert _plain(document.data)
    json.dumps(document.data, allow_nan=False)


@READER
@given(RAW_INPUTS)
def test_the_reader_on_random_input(raw: bytes) -> None:
    read(raw)


@READER
@given(st.one_of(mutated(REAL_VERSION), mutated(REAL_MANIFEST)))
def test_the_reader_on_mutated_policy_files(raw: bytes) -> None:
    read(raw)


@pytest.fixture(scope="module")
def bundle_root() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as directory:
        yield broken_bundle(Path(directory), {})


def check(root: Path, raw: bytes) -> None:
    path = root / VERSION_FILE
    path.write_bytes(raw)
    with bounded(repr(raw[:60])), nothing_runs():
        report = chronolex.check_bundle(root)
    errors = [d for d in report.diagnostics if d.severity is Severity.ERROR]
    assert (report.bundle is None) == bool(errors)
    _inside(report.diagnostics, str(path), raw)
    if report.bundle is not None:
        assert all(v.effective_from.utcoffset() is not None for v in report.bundle.versions)


@LOADER
@given(raw=RAW_INPUTS)
def test_the_loader_on_a_random_version_file(bundle_root: Path, raw: bytes) -> None:
    note(repr(raw[:400]))
    check(bundle_root, raw)


@LOADER
@given(raw=mutated(REAL_VERSION))
def test_the_loader_on_a_mutated_version_file(bundle_root: Path, raw: bytes) -> None:
    note(repr(raw[:400]))
    check(bundle_root, raw)


def test_the_unmutated_bundle_is_clean(bundle_root: Path) -> None:
    """The mutations start from a bundle without errors, so every error comes from a mutation."""
    check(bundle_root, REAL_VERSION)
    assert chronolex.check_bundle(bundle_root).ok
