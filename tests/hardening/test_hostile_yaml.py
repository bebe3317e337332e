"""Hostile policy files: each is refused with a clear, positioned error, or read correctly.

Every case is checked three ways: by the YAML reader itself, by ``check_bundle`` on a
copy of the shipped bundle whose 2026.03 version file holds the hostile content (one
error, in that file, and no echo of it in 2026.06, which extends 2026.03), and by
``chronolex validate`` on that copy (exit 1, a one-line finding naming file, line and
column, no traceback). The limits named in the messages are those of
:class:`chronolex.bundle.yaml_source.Limits`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import chronolex
from chronolex.errors import ChronolexError, Severity
from chronolex.bundle.yaml_source import DEFAULT_LIMITS, read_yaml
from tests.hardening.support import (
    REAL_MANIFEST,
    REAL_VERSION,
    VERSION_FILE,
    assert_no_traceback,
    bounded,
    broken_bundle,
    finding_heads,
    line_of,
    nothing_runs,
    validate,
    with_line,
)

LIMITS = DEFAULT_LIMITS
VERSION_LINE = line_of(REAL_VERSION, b"version:")
SUMMARY_LINE = line_of(REAL_VERSION, b"summary:")


def billion_laughs() -> bytes:
    """Nine levels of nine aliases each, inserted before ``rules:``: 9**9 values once expanded."""
    levels = [b'lol0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        levels.append(b"lol%d: &l%d [" % (level, level) + b", ".join([b"*l%d" % (level - 1)] * 9) + b"]")
    return REAL_VERSION.replace(b"\nrules:", b"\n" + b"\n".join(levels) + b"\nrules:", 1)


def first_level_past_the_node_limit() -> int:
    """The level of :func:`billion_laughs` whose expansion first exceeds ``max_nodes``."""
    size, level = 10, 0  # lol0: a list and its nine strings
    while size <= LIMITS.max_nodes:
        size, level = 1 + 9 * size, level + 1
    return level


@dataclass(frozen=True)
class Hostile:
    name: str
    make: Callable[[], bytes]
    code: str
    line: Callable[[bytes], int]
    column: Callable[[bytes], int] | None
    fragment: str


def _at(needle: bytes) -> Callable[[bytes], int]:
    return lambda raw: line_of(raw, needle)


def _column_of(needle: bytes) -> Callable[[bytes], int]:
    def column(raw: bytes) -> int:
        index = raw.index(needle)
        return len(raw[raw.rfind(b"\n", 0, index) + 1 : index].decode("utf-8", "replace")) + 1

    return column


_LAUGH = first_level_past_the_node_limit()
CASES = [
    Hostile("alias-bomb", billion_laughs, "yaml-limit", _at(b"lol%d:" % _LAUGH), _column_of(b"&l%d " % _LAUGH),
            f"past {LIMITS.max_nodes} values"),
    Hostile("10000-deep-flow-lists", lambda: with_line(REAL_VERSION, b"summary:", b"summary: " + b"[" * 10_000
                                                       + b"]" * 10_000),
            "yaml-limit", lambda raw: SUMMARY_LINE, None, f"nesting deeper than {LIMITS.max_depth} levels"),
    Hostile("10000-deep-flow-mappings", lambda: with_line(REAL_VERSION, b"summary:", b"summary: " + b"{a: " * 10_000
                                                          + b"}" * 10_000),
            "yaml-limit", lambda raw: SUMMARY_LINE, None, f"nesting deeper than {LIMITS.max_depth} levels"),
    Hostile("10000-deep-block-lists", lambda: with_line(REAL_VERSION, b"summary:", b"summary:\n  " + b"- " * 10_000
                                                        + b"x"),
            "yaml-limit", lambda raw: SUMMARY_LINE + 1, None, f"nesting deeper than {LIMITS.max_depth} levels"),
    Hostile("10-MB-string", lambda: with_line(REAL_VERSION, b"summary:", b'summary: "' + b"x" * (10 * 1024 * 1024)
                                              + b'"'),
            "file-too-large", lambda raw: 1, lambda raw: 1, f"more than the limit of {LIMITS.max_bytes}"),
    Hostile("10000-digit-integer", lambda: with_line(REAL_VERSION, b"version:", b"version: " + b"9" * 10_000),
            "yaml-limit", lambda raw: VERSION_LINE, lambda raw: len(b"version: ") + 1,
            "integer with 10000 digits (limit 100)"),
    Hostile("10000-digit-negative-integer", lambda: with_line(REAL_VERSION, b"version:", b"version: -" + b"9" * 10_000),
            "yaml-limit", lambda raw: VERSION_LINE, lambda raw: len(b"version: ") + 1,
            "integer with 10000 digits (limit 100)"),
    Hostile("nan", lambda: with_line(REAL_VERSION, b"version:", b"version: .nan"),
            "non-finite", lambda raw: VERSION_LINE, lambda raw: len(b"version: ") + 1, "NaN and infinity are not allowed"),
    Hostile("infinity", lambda: with_line(REAL_VERSION, b"version:", b"version: .inf"),
            "non-finite", lambda raw: VERSION_LINE, lambda raw: len(b"version: ") + 1, "NaN and infinity are not allowed"),
    Hostile("minus-infinity", lambda: with_line(REAL_VERSION, b"version:", b"version: -.Inf"),
            "non-finite", lambda raw: VERSION_LINE, lambda raw: len(b"version: ") + 1, "NaN and infinity are not allowed"),
    Hostile("float-beyond-a-double", lambda: with_line(REAL_VERSION, b"version:", b"version: 1e999"),
            "non-finite", lambda raw: VERSION_LINE, lambda raw: len(b"version: ") + 1, "1e999 is out of range"),
    Hostile("10000-digit-float", lambda: with_line(REAL_VERSION, b"version:", b"version: " + b"9" * 10_000 + b".5"),
            "non-finite", lambda raw: VERSION_LINE, lambda raw: len(b"version: ") + 1, "is out of range"),
    Hostile("invalid-utf8", lambda: with_line(REAL_VERSION, b"summary:", b"summary: caf\xe9 \xff"),
            "encoding", lambda raw: SUMMARY_LINE, lambda raw: len("summary: caf") + 1, "invalid UTF-8 (byte 0xe9)"),
    Hostile("utf16", lambda: REAL_VERSION.decode("utf-8").encode("utf-16"),
            "encoding", lambda raw: 1, lambda raw: 1, "invalid UTF-8"),
    Hostile("tab-indentation", lambda: REAL_VERSION.replace(b"\n  - id: REG-CREDIT-CONSENT", b"\n\t- id: REG-CREDIT-CONSENT"),
            "yaml-syntax", _at(b"\t- id: REG-CREDIT-CONSENT"), lambda raw: 1, ""),
    Hostile("python-object-tag", lambda: with_line(REAL_VERSION, b"version:",
                                                   b"version: !!python/object:os.system 'touch SENTINEL'"),
            "yaml-tag", lambda raw: VERSION_LINE, lambda raw: len(b"version: ") + 1, "python/object:os.system"),
    Hostile("python-object-apply-tag", lambda: with_line(REAL_VERSION, b"version:",
                                                         b"version: !!python/object/apply:os.system ['touch SENTINEL']"),
            "yaml-tag", lambda raw: VERSION_LINE, lambda raw: len(b"version: ") + 1, "python/object/apply:os.system"),
    Hostile("python-object-new-tag", lambda: with_line(REAL_VERSION, b"version:",
                                                       b"version: !!python/object/new:subprocess.Popen [[touch, SENTINEL]]"),
            "yaml-tag", lambda raw: VERSION_LINE, lambda raw: len(b"version: ") + 1, "python/object/new:subprocess.Popen"),
    Hostile("python-name-tag", lambda: with_line(REAL_VERSION, b"version:", b"version: !!python/name:os.system"),
            "yaml-tag", lambda raw: VERSION_LINE, lambda raw: len(b"version: ") + 1, "python/name:os.system"),
    Hostile("binary-tag", lambda: with_line(REAL_VERSION, b"summary:", b"summary: !!binary aGVsbG8="),
            "yaml-tag", lambda raw: SUMMARY_LINE, lambda raw: len(b"summary: ") + 1, "binary"),
    Hostile("local-tag", lambda: with_line(REAL_VERSION, b"summary:", b"summary: !include /etc/passwd"),
            "yaml-tag", lambda raw: SUMMARY_LINE, lambda raw: len(b"summary: ") + 1, "'!include'"),
    Hostile("merge-key", lambda: REAL_VERSION.replace(b"    category: platform\n", b"    <<: {category: platform}\n", 1),
            "yaml-key", _at(b"    <<:"), lambda raw: 5, "merge keys"),
    Hostile("recursive-alias", lambda: with_line(REAL_VERSION, b"summary:", b"summary: &s [1, *s]"),
            "yaml-limit", lambda raw: SUMMARY_LINE, None, "an alias refers to a node that contains it"),
    Hostile("two-documents", lambda: REAL_VERSION + b"\n---\nversion: x\n",
            "yaml-syntax", lambda raw: line_of(raw, b"\n---\n") + 1, None, "expected a single document"),
]
_IDS = [case.name for case in CASES]


def _sentinels(tmp_path: Path) -> list[Path]:
    return [tmp_path / "SENTINEL", Path("SENTINEL")]


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_the_reader_refuses_it_with_a_positioned_error(case: Hostile) -> None:
    raw = case.make()
    with bounded(case.name), nothing_runs(), pytest.raises(ChronolexError) as caught:
        read_yaml(VERSION_FILE, raw)
    first = caught.value.diagnostics[0]
    assert first.code == case.code
    assert first.span is not None and first.span.file == VERSION_FILE
    assert first.span.line == case.line(raw)
    if case.column is not None:
        assert first.span.column == case.column(raw)
    assert case.fragment in first.message
    assert "\n" not in first.message and len(first.message) < 300  # one readable line, never the hostile text


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_the_bundle_reports_that_one_error_and_nothing_that_follows_from_it(case: Hostile, tmp_path: Path) -> None:
    raw = case.make()
    root = broken_bundle(tmp_path, {VERSION_FILE: raw})
    with bounded(case.name), nothing_runs():
        report = chronolex.check_bundle(root)
    errors = [d for d in report.diagnostics if d.severity is Severity.ERROR]
    assert report.bundle is None
    assert [(d.code, d.span.file if d.span else None, d.span.line if d.span else None) for d in errors] == [
        (case.code, str(root / VERSION_FILE), case.line(raw))
    ]
    assert not any(path.exists() for path in _sentinels(tmp_path))


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_validate_prints_one_finding_and_exits_1(case: Hostile, tmp_path: Path) -> None:
    raw = case.make()
    root = broken_bundle(tmp_path, {VERSION_FILE: raw})
    with bounded(case.name):
        outcome = validate(root)
    assert_no_traceback(outcome)
    assert outcome.exit_code == 1
    heads = [head for head in finding_heads(outcome) if "error[" in head]
    assert len(heads) == 1, heads
    expected = f"{(root / VERSION_FILE).as_posix()}:{case.line(raw)}:"
    assert heads[0].startswith(expected), heads[0]
    assert f"error[{case.code}]: " in heads[0] and case.fragment in heads[0]
    assert len(heads[0]) < 500
    assert outcome.stdout.splitlines()[-1].startswith("failed: 1 bundle checked, 1 error,")
    assert not any(path.exists() for path in _sentinels(tmp_path))


def test_a_tab_indentation_error_says_tabs_are_the_problem() -> None:
    for raw in (b"a:\n\tb: 1\n", b"a:\n  b: 1\n\t c: 2\n"):
        for fast in (True, False):  # libyaml's message does not name the tab; the hint does
            with pytest.raises(ChronolexError) as caught:
                read_yaml("f.yaml", raw, fast=fast)
            [problem] = caught.value.diagnostics
            assert (problem.code, problem.span.line if problem.span else None) == ("yaml-syntax", raw.count(b"\n", 0, raw.index(b"\t")) + 1)
            assert problem.help is not None and "tabs" in problem.help


def test_both_parsers_name_the_depth_limit() -> None:
    for fast in (True, False):
        with pytest.raises(ChronolexError) as caught:
            read_yaml("f.yaml", b"a: " + b"[" * 10_000 + b"]" * 10_000, fast=fast)
        [problem] = caught.value.diagnostics
        assert problem.code == "yaml-limit"
        assert problem.message == f"nesting deeper than {LIMITS.max_depth} levels"


def test_a_string_just_under_the_size_limit_is_read_whole() -> None:
    head = b'summary: "'
    body = b"x" * (LIMITS.max_bytes - len(head) - 2)
    raw = head + body + b'"\n'
    assert len(raw) == LIMITS.max_bytes
    with bounded("a 10 MiB file"):
        document = read_yaml("f.yaml", raw)
    assert len(document.data["summary"]) == len(body)


@pytest.mark.parametrize("where", ["bundle.yaml", VERSION_FILE, "tests/hostile.yaml"])
def test_tags_are_refused_in_every_file_the_loader_reads(where: str, tmp_path: Path) -> None:
    payload = b"!!python/object/apply:os.system ['touch %s']" % str(tmp_path / "SENTINEL").encode()
    if where == "bundle.yaml":
        raw = with_line(REAL_MANIFEST, b"title:", b"title: " + payload)
    elif where == VERSION_FILE:
        raw = with_line(REAL_VERSION, b"summary:", b"summary: " + payload)
    else:
        raw = b"cases:\n  - name: " + payload + b"\n"
    root = broken_bundle(tmp_path, {where: raw})
    with nothing_runs():
        report = chronolex.check_bundle(root)
    tags = [d for d in report.diagnostics if d.code == "yaml-tag"]
    assert [d.span.file for d in tags if d.span] == [str(root / where)]
    assert tags[0].span is not None and tags[0].span.line == line_of(raw, b"!!python")
    assert not (tmp_path / "SENTINEL").exists()
    outcome = validate(root)
    assert_no_traceback(outcome)
    assert outcome.exit_code == 1
    assert not (tmp_path / "SENTINEL").exists()


# -- accepted as they should be -----------------------------------------------------------


def _snapshots(root: Path) -> list[dict[str, object]]:
    bundle = chronolex.load_bundle(root)
    return [chronolex.snapshot(bundle, version) for version in bundle.versions]


@pytest.mark.parametrize("variant", ["bom", "crlf", "bom-and-crlf"])
def test_a_byte_order_mark_and_crlf_line_ends_read_as_the_plain_file(variant: str, tmp_path: Path) -> None:
    raw = REAL_VERSION
    if "crlf" in variant:
        raw = raw.replace(b"\n", b"\r\n")
    if "bom" in variant:
        raw = b"\xef\xbb\xbf" + raw
    plain = _snapshots(broken_bundle(tmp_path / "plain", {}))
    assert _snapshots(broken_bundle(tmp_path / "variant", {VERSION_FILE: raw})) == plain
    outcome = validate(tmp_path / "variant" / "huabei")
    assert_no_traceback(outcome)
    assert outcome.exit_code == 0


@pytest.mark.parametrize("variant", ["bom", "crlf", "bom-and-crlf"])
def test_positions_are_the_same_with_a_byte_order_mark_or_crlf(variant: str, tmp_path: Path) -> None:
    """An unknown fact in a condition is reported at the same line and columns as in the plain file."""
    typo = REAL_VERSION.replace(b"when: credit_score < 600", b"when: credit_scor < 600", 1)
    assert typo != REAL_VERSION
    raw = typo.replace(b"\n", b"\r\n") if "crlf" in variant else typo
    raw = b"\xef\xbb\xbf" + raw if "bom" in variant else raw

    def unknown_fact(root: Path) -> tuple[int, int, int | None, int | None]:
        [found] = [d for d in chronolex.check_bundle(root).diagnostics if d.code == "unknown-fact"]
        assert found.span is not None
        return found.span.line, found.span.column, found.span.end_line, found.span.end_column

    expected = (line_of(typo, b"credit_scor <"), len("    when: ") + 1, line_of(typo, b"credit_scor <"),
                len("    when: credit_scor"))
    assert unknown_fact(broken_bundle(tmp_path / "plain", {VERSION_FILE: typo})) == expected
    assert unknown_fact(broken_bundle(tmp_path / "variant", {VERSION_FILE: raw})) == expected
    outcome = validate(tmp_path / "variant" / "huabei")
    [head] = [h for h in finding_heads(outcome) if "error[" in h]
    assert head.startswith(f"{(tmp_path / 'variant' / 'huabei' / VERSION_FILE).as_posix()}:{expected[0]}:{expected[1]}: ")
    assert f"{expected[0]:>4} | " + "    when: credit_scor < 600" in outcome.stdout  # the source line, without '\r'


@pytest.mark.parametrize(("raw", "line", "column"), [
    (b"a: [1", 1, 6),
    (b"a: 1\nb: [x, y", 2, 9),
    (b"a: 1\r\nb: {x: y", 2, 9),
    (b"a: 1\nb: [x, y\n", 3, 1),  # after a final line break, the end is the empty last line
])
def test_an_error_at_the_end_of_the_file_points_at_its_end(raw: bytes, line: int, column: int) -> None:
    """libyaml puts the end of a stream on a line after the last; the error names the last line's end."""
    for fast in (True, False):
        with pytest.raises(ChronolexError) as caught:
            read_yaml("f.yaml", raw, fast=fast)
        [problem] = caught.value.diagnostics
        assert problem.span is not None and (problem.span.line, problem.span.column) == (line, column)
